/**
 * Table 6: the console. (a) The JavaScript sent on first load, gzip bytes: what the entry page
 * loads before any lazy route (the entry chunk and its static imports, from Vite's manifest), and
 * with each route's own chunks; held to < 350 KB for the entry plus its heaviest route. (b) In
 * Chromium, the time from navigation start until the request page shows the request's data, each
 * time in a fresh browser context (nothing cached), next to that page's own API call
 * (`GET .../access-requests/{id}`, its Resource Timing in the same navigation) and the same call
 * timed from Node in the same rounds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { CHROMIUM } from '../playwright.config.ts';
import { DEMO, seed } from '../local/seed.ts';
import { startStack } from '../local/stack.ts';
import { ROOT } from './cold-start.ts';
import { figure, verdict, type Figure, type SectionResult } from './results.ts';
import { bytes, median, ms, progress, quantile, ratio, table } from './stats.ts';

/** The first-load budget of the issue: JavaScript of the entry and its first route, gzip. */
export const FIRST_LOAD_TARGET_BYTES = 350 * 1024;
const DIST = join(ROOT, 'web', 'dist');

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
}

/** The JS files a chunk loads before it runs: itself and its static imports, transitively. */
function closure(manifest: Record<string, ManifestChunk>, key: string, seen = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const i of chunk.imports ?? []) closure(manifest, i, seen);
  return seen;
}

const gzipBytes = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;

/** (a) The first load, per route. */
export function firstLoad(): { text: string; figures: Figure[] } {
  const manifest = JSON.parse(readFileSync(join(DIST, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entryKey = Object.keys(manifest).find((k) => manifest[k]!.isEntry);
  if (!entryKey) throw new Error('web/dist/.vite/manifest.json has no entry: run `npm run web:build`');
  const entry = closure(manifest, entryKey);
  const entryGzip = [...entry].reduce((n, f) => n + gzipBytes(f), 0);
  const routes = Object.entries(manifest)
    .filter(([, c]) => c.isDynamicEntry && c.src?.startsWith('src/pages/'))
    .map(([key, c]) => {
      const own = [...closure(manifest, key)].filter((f) => !entry.has(f));
      return {
        // One folder per page: `src/pages/Request/index.tsx` is `Request`.
        page: c.src!.replace('src/pages/', '').replace(/\/index\.tsx$|\.tsx$/, ''),
        files: own.length,
        gzip: own.reduce((n, f) => n + gzipBytes(f), 0),
      };
    })
    .sort((a, b) => b.gzip - a.gzip);
  const heaviest = routes[0]!;
  const request = routes.find((r) => r.page === 'Request')!;
  const figures = [
    figure({
      section: 'console',
      name: 'first load: entry JS (gzip)',
      value: entryGzip / 1024,
      unit: 'KiB',
      note: `${entry.size} files before any lazy route`,
    }),
    figure({
      section: 'console',
      name: `first load: entry + heaviest route (${heaviest.page}) JS (gzip)`,
      value: (entryGzip + heaviest.gzip) / 1024,
      unit: 'KiB',
      target: '< 350 KiB gzip',
      pass: entryGzip + heaviest.gzip < FIRST_LOAD_TARGET_BYTES,
    }),
    figure({
      section: 'console',
      name: 'first load: entry + request page JS (gzip)',
      value: (entryGzip + request.gzip) / 1024,
      unit: 'KiB',
      target: '< 350 KiB gzip',
      pass: entryGzip + request.gzip < FIRST_LOAD_TARGET_BYTES,
    }),
  ];
  const rows = [
    ['entry (before any route)', String(entry.size), bytes(entryGzip), '—', verdict(entryGzip < FIRST_LOAD_TARGET_BYTES)],
    ...routes.map((r) => [
      `+ ${r.page}`,
      String(r.files),
      bytes(r.gzip),
      bytes(entryGzip + r.gzip),
      verdict(entryGzip + r.gzip < FIRST_LOAD_TARGET_BYTES),
    ]),
  ];
  const text = `JavaScript sent on first load (gzip level 9 of \`web/dist\`, from Vite's manifest: a chunk and its static imports; a route adds only what the entry has not loaded):\n\n${table(['what loads', 'JS files', 'gzip', 'entry + route', '< 350 KiB'], rows)}`;
  return { text, figures };
}

/** (b) Time until the request page shows its data, next to its API call. */
export async function requestPage(opts: { rounds: number }): Promise<{ text: string; figures: Figure[] }> {
  const stack = await startStack({ port: 0, sesPort: 0, tableStream: false, expireEveryMs: 0, deliverOnWrite: true, deliverEveryMs: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await seed(stack.runtime);
    const tokenOf = async (who: object) =>
      (
        (await (
          await fetch(`${stack.url}/_local/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(who),
          })
        ).json()) as { token: string }
      ).token;
    const [agent, admin] = [await tokenOf(DEMO.agent), await tokenOf(DEMO.admin)];
    const reason = 'Benchmark: invoice export fails';
    const created = await fetch(`${stack.url}/v1/tenants/${DEMO.tenantId}/access-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticketId: 'BENCH-1', reason, scope: { level: 'read-only' }, durationHours: 2 }),
    });
    const { requestId } = (await created.json()) as { requestId: string };
    const apiPath = `/v1/tenants/${DEMO.tenantId}/access-requests/${requestId}`;
    const pageUrl = `${stack.url}/app/tenants/${DEMO.tenantId}/requests/${requestId}`;
    const visible: number[] = [];
    const inPage: number[] = [];
    const fromNode: number[] = [];
    for (let round = -1; round < opts.rounds; round++) {
      // A fresh context: an empty HTTP cache, so every round downloads the console again.
      const context = await browser.newContext();
      // In the page (a string: this file is compiled without the DOM's types): the token, and the
      // moment the request's reason is on the page, from navigation start.
      await context.addInitScript({
        content: `sessionStorage.setItem('support-access.token', ${JSON.stringify(admin)});
new MutationObserver((_m, o) => { if (document.body && document.body.innerText.includes(${JSON.stringify(reason)})) { window.__shown = performance.now(); o.disconnect(); } })
  .observe(document, { childList: true, subtree: true, characterData: true });`,
      });
      const page = await context.newPage();
      await page.goto(pageUrl);
      await page.getByText(reason).first().waitFor();
      const [shown, call] = (await page.evaluate(
        `[window.__shown, (performance.getEntriesByType('resource').find((e) => e.name.endsWith(${JSON.stringify(apiPath)})) || { duration: NaN }).duration]`,
      )) as [number, number];
      const t0 = performance.now();
      const res = await fetch(`${stack.url}${apiPath}`, { headers: { authorization: `Bearer ${admin}` } });
      await res.arrayBuffer();
      const node = performance.now() - t0;
      await context.close();
      if (round < 0) continue; // warm-up: the stack's first calls load its handlers
      visible.push(shown);
      inPage.push(call);
      fromNode.push(node);
    }
    progress(`console: request page p50 ${ms(median(visible))}, its API call ${ms(median(inPage))}`);
    const figures = [
      figure({
        section: 'console',
        name: 'request page: data visible p50',
        value: median(visible),
        unit: 'ms',
        baseline: { name: 'its API call in the page, p50', value: median(inPage) },
        note: "navigation start → the request's reason on the page, empty cache",
      }),
      figure({ section: 'console', name: 'request page: GET access request from Node p50', value: median(fromNode), unit: 'ms' }),
    ];
    const rows = [
      [
        "navigation start → the request's data visible",
        ms(median(visible)),
        ms(quantile(visible, 0.9)),
        ratio(median(visible), median(inPage)),
      ],
      ['its `GET .../access-requests/{id}` in the page (Resource Timing)', ms(median(inPage)), ms(quantile(inPage, 0.9)), '1.00×'],
      ['the same call from Node (no browser)', ms(median(fromNode)), ms(quantile(fromNode, 0.9)), ratio(median(fromNode), median(inPage))],
    ];
    const text = `The request page in Chromium (${opts.rounds} rounds after a warm-up, each in a fresh context: empty cache, the token already in sessionStorage; local stack, DynamoDB Local):\n\n${table(['what', 'p50', 'p90', 'vs the API call'], rows)}\n\nWhat the page adds to its API call is downloading and starting the console (the entry and the route's chunks) and rendering; the call itself starts only once the route's code runs.`;
    return { text, figures };
  } finally {
    await browser.close();
    await stack.stop();
  }
}

/** The section: both parts, on a fresh build of the console (`vite build web`). */
export async function consoleSection(opts: { rounds: number }): Promise<SectionResult> {
  progress('console: building web/dist');
  execFileSync(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const load = firstLoad();
  const timing = await requestPage(opts);
  return { text: `${load.text}\n\n${timing.text}`, figures: [...load.figures, ...timing.figures] };
}
