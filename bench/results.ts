/**
 * The machine-readable side of the benchmark: every figure with its baseline, their ratio, the
 * target it is held to and whether it holds. `bench/run.ts` writes them to `bench/results.json`
 * and prints the targets as a PASS/MISS table.
 */

export type Section = 'hot' | 'cold' | 'cost' | 'bulk' | 'load' | 'first' | 'audit' | 'console' | 'enforce' | 'verify';

export interface Figure {
  section: Section;
  /** What was measured, e.g. `GetAccess p50` or `http/access init`. */
  name: string;
  value: number;
  unit: string;
  /** The figure it is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  /** `value ÷ baseline.value` unless the target defines another ratio (then said in `target`). */
  ratio?: number;
  /** The target in words, when this figure has one. */
  target?: string;
  pass?: boolean;
  /** Anything a reader needs to interpret the figure. */
  note?: string;
}

/** A section's printed tables and its figures. */
export interface SectionResult {
  text: string;
  figures: Figure[];
}

/** `value ÷ base`, NaN when there is no base. */
export const ratioOf = (value: number, base: number) => (base > 0 ? value / base : Number.NaN);

/** A figure held to `pass`; the ratio is to `baseline` unless given. */
export function figure(f: Figure): Figure {
  const ratio = f.ratio ?? (f.baseline ? ratioOf(f.value, f.baseline.value) : undefined);
  return { ...f, ...(ratio === undefined || Number.isNaN(ratio) ? {} : { ratio: round(ratio, 3) }), value: round(f.value, 3) };
}

function round(v: number, digits: number): number {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}

export const verdict = (pass: boolean | undefined) => (pass === undefined ? '—' : pass ? 'PASS' : 'MISS');
