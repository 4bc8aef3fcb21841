/**
 * Table 2: cold start. Each Lambda entry is bundled three ways and its module init is timed in
 * fresh Node processes (`performance.now()` around `await import(bundle)`):
 * - **deployed**: with the stack's own esbuild options (`bundlingDefaults` of `lib/functions.ts`),
 *   and `NODE_OPTIONS` as the deployed function has it;
 * - **SDK bundled, no source maps** (tried, reported for comparison): the same with `@aws-sdk/*`
 *   bundled in instead of loaded from the runtime, and without `--enable-source-maps`;
 * - **naive (baseline)**: the same handler as a plain `esbuild --bundle` makes it: no minify, no
 *   tree-shaking help (`mainFields` left at esbuild's default, so CommonJS builds win), the AWS SDK
 *   bundled in, and zod imported the classic way (`import { z } from 'zod'`).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { groups } from '../lambdas/contract/routes.ts';
import { bundlingDefaults } from '../lib/functions.ts';
import { figure, verdict, type Figure, type SectionResult } from './results.ts';
import { bytes, median, ms, progress, ratio, runJson, table } from './stats.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The pinned Node 24 (the `node` package), not whatever is first on PATH. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/** Target: every deployed bundle at most this many bytes. */
export const MAX_BUNDLE_BYTES = 300 * 1024;
/** Target: deployed init at most this share of the naive bundle's. */
export const INIT_TARGET = 0.5;

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

/** The stack's `NodejsFunction` bundling options as esbuild options. */
function deployedOptions(): BuildOptions {
  const b = bundlingDefaults;
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: b.target ?? 'node24',
    ...(b.mainFields ? { mainFields: b.mainFields } : {}),
    minify: b.minify ?? false,
    sourcemap: b.sourceMap ? 'linked' : false,
    sourcesContent: b.sourcesContent ?? true,
    external: b.externalModules ?? ['@aws-sdk/*'],
    ...(b.banner ? { banner: { js: b.banner } } : {}),
  };
}

/** zod the classic way, as most code imports it: one object holding everything. */
const classicZod: Plugin = {
  name: 'classic-zod',
  setup(b) {
    b.onLoad({ filter: /\/(lambdas|local)\/.*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8')
        .replaceAll("import * as z from 'zod';", "import { z } from 'zod';")
        .replaceAll("import type * as z from 'zod';", "import type { z } from 'zod';"),
      loader: 'ts',
    }));
  },
};

const VARIANTS = {
  deployed: () => deployedOptions(),
  sdkBundled: () => ({ ...deployedOptions(), external: [], sourcemap: false }),
  // The banner stays: without it a CommonJS `require` of a Node builtin fails in an ESM bundle.
  naive: (): BuildOptions => ({ bundle: true, platform: 'node', format: 'esm', target: 'node24', banner: deployedOptions().banner ?? {}, plugins: [classicZod] }),
} as const;
type Variant = keyof typeof VARIANTS;

async function initTime(probe: string, module: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { initMs } = await runJson<{ initMs: number }>(NODE, [probe, pathToFileURL(module).href], { env }, 30_000, `importing ${basename(module)}`);
  return initMs;
}

interface Built {
  file: string;
  size: number;
  gzip: number;
  externals: string[];
  runs: number[];
}

export async function coldStart(opts: { runs: number }): Promise<SectionResult> {
  // Bundles go to a temporary directory whose node_modules points at the project's, so the
  // external `@aws-sdk/*` resolve as they do from the Lambda runtime's own copy.
  const dir = mkdtempSync(join(tmpdir(), 'support-access-bench-'));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    // What the runtime's SDK alone costs to load, so the rest is the function's own init.
    const sdkOnly = join(dir, 'sdk-only.mjs');
    writeFileSync(sdkOnly, "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\n");
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TABLE_NAME: 'support-access',
      SUPPORT_EMAIL_DOMAINS: 'vendor.test',
      CURSOR_SECRET: 'bench-cursor-secret',
      MAIL_FROM: 'support-access@example.com',
      APP_BASE_URL: 'https://support-access.example.com',
      AWS_REGION: 'us-east-1',
    };
    // The deployed functions run with source maps on (`lib/functions.ts`); the naive build has none.
    const deployedEnv: NodeJS.ProcessEnv = { ...base, NODE_OPTIONS: '--enable-source-maps' };
    const envOf = (v: Variant) => (v === 'deployed' ? deployedEnv : base);

    const entries = lambdaEntries();
    const built = new Map<string, Record<Variant, Built>>();
    for (const entry of entries) {
      const out = {} as Record<Variant, Built>;
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        const file = join(dir, `${entry.name.replace('/', '-')}.${variant}.mjs`);
        const result = await build({ ...VARIANTS[variant](), entryPoints: [join(ROOT, entry.file)], outfile: file, metafile: true, logLevel: 'silent' });
        const externals = [...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)))]
          .filter((p) => p.startsWith('@aws-sdk/'))
          .sort();
        out[variant] = { file, size: statSync(file).size, gzip: gzipSync(readFileSync(file)).length, externals, runs: [] };
      }
      built.set(entry.name, out);
    }
    progress(`cold start: ${entries.length} functions × 3 builds; timing module init (${opts.runs} fresh processes each)`);
    // Every process of a run in a new random order, so drift hits the builds alike.
    const sdkRuns: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      const jobs: (() => Promise<void>)[] = [async () => void sdkRuns.push(await initTime(probe, sdkOnly, deployedEnv))];
      for (const b of built.values()) for (const v of Object.keys(b) as Variant[]) jobs.push(async () => void b[v].runs.push(await initTime(probe, b[v].file, envOf(v))));
      for (let i = jobs.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
      }
      for (const job of jobs) await job();
      progress(`cold start: run ${run + 1}/${opts.runs}`);
    }

    const sdk = median(sdkRuns);
    const figures: Figure[] = [];
    const rows: string[][] = [['only `import` client-dynamodb + lib-dynamodb (the runtime’s SDK)', '—', '—', ms(sdk), '—', '—', '—', '—', '—', '—', '—']];
    for (const entry of entries) {
      const b = built.get(entry.name)!;
      const [dep, sdkIn, naive] = [b.deployed, b.sdkBundled, b.naive];
      const [mDep, mSdkIn, mNaive] = [median(dep.runs), median(sdkIn.runs), median(naive.runs)];
      const sizePass = dep.size <= MAX_BUNDLE_BYTES;
      const initPass = mDep <= INIT_TARGET * mNaive;
      const naiveRef = { name: `naive bundle init (${bytes(naive.size)})`, value: mNaive };
      figures.push(
        figure({ section: 'cold', name: `${entry.name} bundle bytes`, value: dep.size, unit: 'bytes', baseline: { name: 'naive bundle bytes', value: naive.size }, target: `≤ ${MAX_BUNDLE_BYTES} bytes (300 KiB)`, pass: sizePass, note: `gzip ${dep.gzip}; external: ${dep.externals.join(', ') || 'none'}` }),
        figure({ section: 'cold', name: `${entry.name} init`, value: mDep, unit: 'ms', baseline: naiveRef, target: `≤ ${INIT_TARGET} × naive init`, pass: initPass, note: `median of ${opts.runs}; includes loading the runtime's @aws-sdk/* (alone: ${sdk.toFixed(1)} ms)` }),
        figure({ section: 'cold', name: `${entry.name} init, SDK bundled and no source maps (tried)`, value: mSdkIn, unit: 'ms', baseline: naiveRef, note: `bundle ${sdkIn.size} bytes` }),
      );
      rows.push([
        entry.name,
        bytes(dep.size),
        bytes(dep.gzip),
        ms(mDep),
        bytes(naive.size),
        ms(mNaive),
        ratio(mDep, mNaive),
        bytes(sdkIn.size),
        ms(mSdkIn),
        ratio(mSdkIn, mNaive),
        `size ${verdict(sizePass)}, init ${verdict(initPass)}`,
      ]);
    }
    const text = table(
      ['function', 'bundle', 'gzip', 'init', 'naive bundle', 'naive init (baseline)', 'init ÷ naive', 'SDK bundled, no maps', 'its init', 'its ÷ naive', 'targets'],
      rows,
    );
    const summary = [
      '',
      `- init: median of ${opts.runs} fresh processes of the pinned Node 24 per build, all builds interleaved in a random order each run. The deployed build loads \`@aws-sdk/*\` from \`node_modules\` as Lambda loads them from the runtime, with \`NODE_OPTIONS=--enable-source-maps\` as deployed.`,
      `- Targets: a deployed bundle ≤ 300 KiB; its init ≤ ${INIT_TARGET} × the naive bundle's.`,
    ].join('\n');
    return { text: text + '\n' + summary, figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
