/**
 * The package as a vendor installs it: built with tsup (ESM, CommonJS, types), a CommonJS
 * TypeScript project compiles against it (`module: commonjs`, and `node16` with a CommonJS
 * package, where an ESM-only package fails with TS1479) and runs under `require`, and
 * `npm pack --dry-run` ships only what is meant (no tests, no sources).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PKG, '../..');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);
let tmp: string;
let installed: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'verify-pkg-'));
  // "installed": the package's shipped files in a consumer's node_modules, built there by tsup
  installed = join(tmp, 'node_modules/@support-access/verify');
  mkdirSync(installed, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE']) cpSync(join(PKG, f), join(installed, f));
  await run(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(installed, 'dist')], {
    cwd: PKG,
    timeout: 120_000,
  });
  // what a Node consumer has beside it: jose (the peer dependency) and Node's types
  symlinkSync(join(ROOT, 'node_modules/jose'), join(tmp, 'node_modules/jose'), 'dir');
  mkdirSync(join(tmp, 'node_modules/@types'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(tmp, 'node_modules/@types/node'), 'dir');
  for (const dep of ['undici-types']) symlinkSync(join(ROOT, 'node_modules', dep), join(tmp, 'node_modules', dep), 'dir');
}, 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const consumer = `import { createVerifier, SessionRefusedError, MemoryRevocationStore, type SupportSession } from '@support-access/verify';
const verifier = createVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks', issuer: 'https://api.test', audience: 'app', store: new MemoryRevocationStore() });
const show = (s: SupportSession) => s.tenantId;
verifier.verify('not-a-token', { tenantId: 'acme' }).then(show, (e: unknown) => {
  console.log(JSON.stringify({ refused: e instanceof SessionRefusedError ? e.reason : 'other', cjs: typeof require === 'function' }));
});
`;

describe('the package', () => {
  it.each([
    ['commonjs', 'node10'],
    ['node16', 'node16'],
  ])('a CommonJS TypeScript consumer (module %s) compiles against the built types and runs under require', async (module, resolution) => {
    // Prepare
    const dir = join(tmp, `consumer-${module}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }));
    writeFileSync(join(dir, 'index.ts'), consumer);
    const compilerOptions = {
      module,
      moduleResolution: resolution,
      target: 'ES2022',
      strict: true,
      outDir: 'out',
      types: ['node'],
      skipLibCheck: false,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }));
    // Act
    const compiled = await run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 }).then(
      () => 'ok',
      (e: { stdout: string }) => e.stdout,
    );
    // Assess
    expect(compiled).toBe('ok');
    expect(readFileSync(join(dir, 'out/index.js'), 'utf8')).toContain('require("@support-access/verify")');
    const { stdout } = await run(process.execPath, ['out/index.js'], { cwd: dir, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ refused: 'invalid', cjs: true });
  });

  it('imports as ESM too, from the same build', async () => {
    const file = join(tmp, 'esm.mjs');
    writeFileSync(
      file,
      "import { createVerifier, RedisRevocationStore } from '@support-access/verify'; console.log(typeof createVerifier, typeof RedisRevocationStore);",
    );
    expect((await run(process.execPath, [file], { cwd: tmp })).stdout.trim()).toBe('function function');
  });

  it('npm pack --dry-run ships the builds, their types, README, LICENSE and package.json, nothing else', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: installed, timeout: 60_000 });
    const [packed] = JSON.parse(stdout) as { name: string; version: string; files: { path: string }[] }[];
    expect(packed).toMatchObject({ name: '@support-access/verify', version: '1.0.0' });
    expect(packed!.files.map((f) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
  });

  it('is licensed Apache-2.0 with the text beside it, and names its directory in this repository', () => {
    const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({ version: '1.0.0', license: 'Apache-2.0', repository: { directory: 'packages/verify' } });
    expect(readFileSync(join(PKG, 'LICENSE'), 'utf8')).toContain('Apache License');
  });
});
