import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console: served at `/app/` by the local stack (local/server.ts) and by CloudFront when deployed. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react()],
  // The manifest lets the benchmark sum exactly what the entry and each lazy route load.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000, manifest: true },
  // `npm run web:dev`: the API of a running `npm start` on the same origin.
  server: { proxy: { '/v1': 'http://localhost:3000', '/_local': 'http://localhost:3000' } },
});
