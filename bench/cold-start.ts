/**
 * Table 2: cold start. Each Lambda entry is bundled three ways and its module init is timed in
 * fresh Node processes (`performance.now()` and `process.cpuUsage()` around `await import(bundle)`):
 * - **deployed**: with the stack's own esbuild options (`bundlingDefaults` of `lib/functions.ts`:
 *   the SDK bundled with the environment credential provider only), run as deployed, without
 *   `NODE_OPTIONS`; also timed with `--enable-source-maps` (tried, reported for comparison);
 * - **runtime SDK (before)**: the stack's options before issue 16: `@aws-sdk/*` left out and loaded
 *   from the runtime's copy, with `--enable-source-maps`;
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
export const MAX_BUNDLE_BYTES = 600 * 1024;
/** Target: deployed init at most this share of the naive bundle's. */
export const INIT_TARGET = 0.6;

/** The module a fresh process runs: time the import (wall and CPU), print JSON. */
const PROBE = `
const c0 = process.cpuUsage();
const t0 = performance.now();
await import(process.argv[2]);
const initMs = performance.now() - t0;
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ initMs, cpuMs: (c.user + c.system) / 1000, rss: process.memoryUsage().rss }));
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

/** `--alias` entries of `esbuildArgs` (`name=replacement`) as esbuild's `alias` option. */
function aliasesOf(args: Record<string, string | boolean | string[]> | undefined): Record<string, string> {
  const value = args?.['--alias'];
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return Object.fromEntries(list.map((a) => a.split('=') as [string, string]));
}

/** The stack's `NodejsFunction` bundling options as esbuild options (run from the repository root, as CDK runs esbuild). */
export function deployedOptions(): BuildOptions {
  const b = bundlingDefaults;
  const unknown = Object.keys(b.esbuildArgs ?? {}).filter((k) => k !== '--alias');
  if (unknown.length)
    throw new Error(`bench/cold-start.ts does not translate esbuildArgs ${unknown.join(', ')}: add them to deployedOptions`);
  return {
    absWorkingDir: ROOT,
    alias: aliasesOf(b.esbuildArgs),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: b.target ?? 'node24',
    ...(b.mainFields ? { mainFields: b.mainFields } : {}),
    minify: b.minify ?? false,
    sourcemap: b.sourceMap ? 'linked' : false,
    sourcesContent: b.sourcesContent ?? true,
    external: b.externalModules ?? ['@aws-sdk/*'],
    metafile: true,
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
  // What the stack built before issue 16: the runtime's SDK, no alias, run with source maps.
  runtimeSdk: (): BuildOptions => ({ ...deployedOptions(), external: ['@aws-sdk/*'], alias: {} }),
  // The banner stays: without it a CommonJS `require` of a Node builtin fails in an ESM bundle.
  naive: (): BuildOptions => ({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: deployedOptions().banner ?? {},
    plugins: [classicZod],
  }),
} as const;
type Variant = keyof typeof VARIANTS;

interface Init {
  initMs: number;
  cpuMs: number;
}

function initTime(probe: string, module: string, env: NodeJS.ProcessEnv): Promise<Init> {
  return runJson<Init>(NODE, [probe, pathToFileURL(module).href], { env }, 30_000, `importing ${basename(module)}`);
}

interface Built {
  file: string;
  size: number;
  gzip: number;
  externals: string[];
  /** Whether the SDK's default credential chain (SSO, STS, ini files…) made it into the bundle. */
  credentialChain: boolean;
  /** Wall and CPU time of each fresh process's import. */
  runs: Init[];
  /** The deployed bundle again, with `--enable-source-maps` (tried). */
  mapsRuns: Init[];
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
    // The deployed functions run without `--enable-source-maps` (`lib/functions.ts`); the build from
    // before ran with it, and the deployed bundle is timed with it too, to show what it costs.
    const withMaps: NodeJS.ProcessEnv = { ...base, NODE_OPTIONS: '--enable-source-maps' };
    const envOf = (v: Variant) => (v === 'runtimeSdk' ? withMaps : base);

    const entries = lambdaEntries();
    const built = new Map<string, Record<Variant, Built>>();
    for (const entry of entries) {
      const out = {} as Record<Variant, Built>;
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        const file = join(dir, `${entry.name.replace('/', '-')}.${variant}.mjs`);
        const result = await build({
          ...VARIANTS[variant](),
          entryPoints: [join(ROOT, entry.file)],
          outfile: file,
          metafile: true,
          logLevel: 'silent',
        });
        const externals = [
          ...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))),
        ]
          .filter((p) => p.startsWith('@aws-sdk/'))
          .sort();
        const inputs = Object.keys(result.metafile.inputs);
        out[variant] = {
          file,
          size: statSync(file).size,
          gzip: gzipSync(readFileSync(file)).length,
          externals,
          credentialChain: inputs.some((i) => /@aws-sdk\/credential-provider-(node|ini|sso|process|web-identity)\//.test(i)),
          runs: [],
          mapsRuns: [],
        };
      }
      built.set(entry.name, out);
    }
    progress(
      `cold start: ${entries.length} functions × 3 builds (+ the deployed one with source maps); timing module init (${opts.runs} fresh processes each)`,
    );
    // Every process of a run in a new random order, so drift hits the builds alike.
    const sdkRuns: Init[] = [];
    for (let run = 0; run < opts.runs; run++) {
      const jobs: (() => Promise<void>)[] = [async () => void sdkRuns.push(await initTime(probe, sdkOnly, withMaps))];
      for (const b of built.values()) {
        for (const v of Object.keys(b) as Variant[]) jobs.push(async () => void b[v].runs.push(await initTime(probe, b[v].file, envOf(v))));
        jobs.push(async () => void b.deployed.mapsRuns.push(await initTime(probe, b.deployed.file, withMaps)));
      }
      for (let i = jobs.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
      }
      for (const job of jobs) await job();
      progress(`cold start: run ${run + 1}/${opts.runs}`);
    }

    const wall = (r: Init[]) => median(r.map((x) => x.initMs));
    const cpu = (r: Init[]) => median(r.map((x) => x.cpuMs));
    const sdk = wall(sdkRuns);
    const figures: Figure[] = [];
    const rows: string[][] = [
      [
        'only `import` client-dynamodb + lib-dynamodb (the runtime’s SDK, before)',
        '—',
        '—',
        ms(sdk),
        ms(cpu(sdkRuns)),
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
      ],
    ];
    for (const entry of entries) {
      const b = built.get(entry.name)!;
      const [dep, before, naive] = [b.deployed, b.runtimeSdk, b.naive];
      const [mDep, mBefore, mNaive, mMaps] = [wall(dep.runs), wall(before.runs), wall(naive.runs), wall(dep.mapsRuns)];
      const [cDep, cNaive] = [cpu(dep.runs), cpu(naive.runs)];
      const sizePass = dep.size <= MAX_BUNDLE_BYTES && !dep.credentialChain && dep.externals.length === 0;
      const initPass = mDep <= INIT_TARGET * mNaive;
      const naiveRef = { name: `naive bundle init (${bytes(naive.size)})`, value: mNaive };
      figures.push(
        figure({
          section: 'cold',
          name: `${entry.name} bundle bytes`,
          value: dep.size,
          unit: 'bytes',
          baseline: { name: 'naive bundle bytes', value: naive.size },
          target: `≤ ${MAX_BUNDLE_BYTES} bytes (600 KiB), the SDK inside, no default credential chain`,
          pass: sizePass,
          note: `gzip ${dep.gzip}; external @aws-sdk: ${dep.externals.join(', ') || 'none'}; default credential chain bundled: ${dep.credentialChain ? 'yes' : 'no'}`,
        }),
        figure({
          section: 'cold',
          name: `${entry.name} init`,
          value: mDep,
          unit: 'ms',
          baseline: naiveRef,
          target: `≤ ${INIT_TARGET} × naive init`,
          pass: initPass,
          note: `median of ${opts.runs} fresh processes (wall time of the import)`,
        }),
        figure({
          section: 'cold',
          name: `${entry.name} init CPU time`,
          value: cDep,
          unit: 'ms',
          baseline: { name: 'naive bundle init CPU time', value: cNaive },
          note: 'process.cpuUsage around the import, all threads',
        }),
        figure({
          section: 'cold',
          name: `${entry.name} init with --enable-source-maps (tried)`,
          value: mMaps,
          unit: 'ms',
          baseline: naiveRef,
        }),
        figure({
          section: 'cold',
          name: `${entry.name} init, runtime SDK (before)`,
          value: mBefore,
          unit: 'ms',
          baseline: naiveRef,
          note: `bundle ${before.size} bytes; with --enable-source-maps`,
        }),
      );
      rows.push([
        entry.name,
        bytes(dep.size),
        bytes(dep.gzip),
        ms(mDep),
        ms(cDep),
        bytes(naive.size),
        ms(mNaive),
        ratio(mDep, mNaive),
        ratio(cDep, cNaive),
        ratio(mMaps, mNaive),
        bytes(before.size),
        ms(mBefore),
        ratio(mBefore, mNaive),
        `size ${verdict(sizePass)}, init ${verdict(initPass)}`,
      ]);
    }
    const text = table(
      [
        'function',
        'bundle',
        'gzip',
        'init',
        'init CPU',
        'naive bundle',
        'naive init (baseline)',
        'init ÷ naive',
        'CPU ÷ naive CPU',
        'with source maps ÷ naive',
        'before: runtime SDK',
        'its init',
        'its ÷ naive',
        'targets',
      ],
      rows,
    );
    const summary = [
      '',
      `- init: median of ${opts.runs} fresh processes of the pinned Node 24 per build, all builds interleaved in a random order each run: wall time of \`await import(bundle)\`, and its CPU time (\`process.cpuUsage\`, all threads: less sensitive to a busy machine than wall time). The deployed build runs as deployed, without \`NODE_OPTIONS\`; *with source maps* is the same bundle under \`--enable-source-maps\`.`,
      '- *before: runtime SDK*: the stack’s options before issue 16 (`@aws-sdk/*` external, loaded from `node_modules` as Lambda loads them from the runtime, with `--enable-source-maps`).',
      `- Targets: a deployed bundle ≤ 600 KiB with the SDK inside and without the default credential chain (SSO, STS, ini…); its init ≤ ${INIT_TARGET} × the naive bundle's.`,
    ].join('\n');
    return { text: text + '\n' + summary, figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
