import { defineConfig } from 'tsup';

/** ESM (`dist/index.js`) and CommonJS (`dist/index.cjs`) with their types, for `npm pack`. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: false,
  external: ['jose'],
});
