/**
 * Table 2: cold start. Each Lambda entry is bundled as CDK's `NodejsFunction` would (esbuild,
 * ESM, node24, minified, `@aws-sdk/*` left to the runtime), and its module init is timed in a
 * fresh Node process: `performance.now()` around `await import(bundle)`, median of 5 processes.
 * The baseline imports an empty ESM module the same way.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { groups } from '../lambdas/contract/routes.ts';
import type { SectionResult } from './results.ts';
import { bytes, median, ms, progress, ratio, table, withTimeout } from './stats.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The pinned Node 24 (the `node` package), not whatever is first on PATH. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The module a fresh process runs: time the import, print JSON. */
const PROBE = `
const t0 = performance.now();
await import(process.argv[2]);
const initMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ initMs, rss: process.memoryUsage().rss }));
`;

interface Entry {
  name: string;
  file: string;
}

export function lambdaEntries(): Entry[] {
  return [
    ...Object.entries(groups).map(([name, g]) => ({ name: `http/${name}`, file: g.handler as string })),
    { name: 'jobs/expire', file: 'lambdas/jobs/expire.ts' },
    { name: 'jobs/deliver', file: 'lambdas/jobs/deliver.ts' },
  ];
}

async function initTime(probe: string, module: string, env: NodeJS.ProcessEnv): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const child = spawn(NODE, [probe, pathToFileURL(module).href], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`importing ${basename(module)} exited ${code}: ${err}`));
        try {
          resolve((JSON.parse(out) as { initMs: number }).initMs);
        } catch (e) {
          reject(new Error(`unexpected probe output ${JSON.stringify(out)}: ${err}`, { cause: e }));
        }
      });
    }),
    30_000,
    `importing ${basename(module)}`,
  );
}

export async function coldStart(opts: { runs: number }): Promise<SectionResult> {
  // Bundles go to a temporary directory whose node_modules points at the project's, so the
  // external `@aws-sdk/*` resolve as they do from the Lambda runtime's own copy.
  const dir = mkdtempSync(join(tmpdir(), 'support-access-bench-'));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    // What the runtime's SDK alone costs to load, so the rest is the function's own init.
    const sdkOnly = join(dir, 'sdk-only.mjs');
    writeFileSync(sdkOnly, "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\n");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TABLE_NAME: 'support-access',
      CURSOR_SECRET: 'bench-cursor-secret',
      MAIL_FROM: 'support-access@example.com',
      APP_BASE_URL: 'https://support-access.example.com',
      AWS_REGION: 'us-east-1',
    };

    const rows: string[][] = [];
    const baselineRuns: number[] = [];
    const sdkRuns: number[] = [];
    const entries = lambdaEntries();
    const results: { entry: Entry; size: number; gzip: number; externals: string[]; runs: number[] }[] = [];
    for (const entry of entries) {
      const outfile = join(dir, `${entry.name.replace('/', '-')}.mjs`);
      const result = await build({
        entryPoints: [join(ROOT, entry.file)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node24',
        minify: true,
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*'],
        banner: { js: BANNER },
        metafile: true,
        logLevel: 'silent',
      });
      const code = readFileSync(outfile);
      const externals = [
        ...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))),
      ].filter((p) => p.startsWith('@aws-sdk/')).sort();
      results.push({ entry, size: statSync(outfile).size, gzip: gzipSync(code).length, externals, runs: [] });
    }
    progress(`cold start: ${entries.length} bundles built; timing module init (${opts.runs} fresh processes each)`);
    // Interleave the processes (baseline, every bundle, again), so drift hits them alike.
    for (let run = 0; run < opts.runs; run++) {
      baselineRuns.push(await initTime(probe, empty, env));
      sdkRuns.push(await initTime(probe, sdkOnly, env));
      for (const r of results) r.runs.push(await initTime(probe, join(dir, `${r.entry.name.replace('/', '-')}.mjs`), env));
    }
    const base = median(baselineRuns);
    const sdk = median(sdkRuns);
    rows.push(['empty ESM module (baseline)', '—', '—', ms(base), '1.00×', '—', '—']);
    rows.push(['only `import` client-dynamodb + lib-dynamodb', '—', '—', ms(sdk), ratio(sdk, base), '—', 'client-dynamodb, lib-dynamodb']);
    for (const r of results) {
      const m = median(r.runs);
      const externals = r.externals.map((e) => e.replace('@aws-sdk/', '')).join(', ') || 'none';
      rows.push([r.entry.name, bytes(r.size), bytes(r.gzip), ms(m), ratio(m, base), ms(m - sdk), externals]);
    }
    return { figures: [], text: table(
      ['function (entry)', 'bundle', 'gzip', `init (median of ${opts.runs})`, 'init ÷ baseline', 'init − SDK-only row', 'external @aws-sdk/* (loaded from the runtime)'],
      rows,
    ) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
