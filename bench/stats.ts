/** Small numeric and formatting helpers for the benchmark tables. */
import { spawn, type SpawnOptions } from 'node:child_process';

/** The q-quantile (0..1) by nearest rank of an unsorted sample. */
export function quantile(sample: readonly number[], q: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (sample: readonly number[]) => quantile(sample, 0.5);
export const p95 = (sample: readonly number[]) => quantile(sample, 0.95);

export const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');
export const ratio = (v: number, base: number) => (base > 0 && Number.isFinite(v) ? `${(v / base).toFixed(2)}×` : 'n/a');
export const int = (v: number) => Math.round(v).toLocaleString('en-US');
export const num = (v: number, digits = 1) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const bytes = (v: number) => (v >= 1024 * 1024 ? `${(v / 1024 / 1024).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`);
export const mib = (v: number) => `${(v / 1024 / 1024).toFixed(0)} MiB`;

/** A GitHub-flavoured markdown table; columns after the first are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Times `fn` once in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Rejects when `p` takes longer than `limitMs`. */
export async function withTimeout<T>(p: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(limitMs / 1000)} s`)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Progress on stderr, so that stdout holds only the tables. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Runs a child process that prints one JSON document on stdout, within a time limit; a non-zero
 * exit or output that is not JSON rejects, with the child's stderr in the message.
 */
export function runJson<T>(command: string, args: readonly string[], options: SpawnOptions, limitMs: number, what: string): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve, reject) => {
      const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${what} exited ${code}: ${err}`));
        try {
          resolve(JSON.parse(out) as T);
        } catch (e) {
          reject(new Error(`unexpected output of ${what} ${JSON.stringify(out)}: ${err}`, { cause: e }));
        }
      });
    }),
    limitMs,
    what,
  );
}
