/**
 * What the functions write on stdout and stderr while a test runs: Powertools' Logger and Metrics
 * write there (JSON log lines, EMF documents), as Lambda's runtime reads them into CloudWatch. Both
 * streams are captured (nothing reaches the terminal) until `restore`.
 */
import { vi } from 'vitest';

export interface Captured {
  /** Every line written, in order. */
  lines: string[];
  /** The EMF documents among them (a line with `_aws`), parsed. */
  emf(): Record<string, any>[];
  /** The log lines (every other line), parsed; a line that is not JSON fails the parse. */
  logs(): Record<string, any>[];
  restore(): void;
}

export function captureOutput(): Captured {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      return true;
    }) as typeof stream.write),
  );
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return {
    lines,
    emf: () => parsed().filter((l) => '_aws' in l),
    logs: () => parsed().filter((l) => !('_aws' in l)),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

/** Runs `act` with the output captured; restores it even when `act` fails. */
export async function captured(act: () => Promise<void> | void): Promise<Captured> {
  const out = captureOutput();
  try {
    await act();
  } finally {
    out.restore();
  }
  return out;
}

/** The value of a metric in an EMF document (absent: undefined), after checking the document declares it. */
export function metricValue(doc: Record<string, any>, name: string): number | undefined {
  const declared = doc._aws.CloudWatchMetrics.flatMap((m: { Metrics: { Name: string }[] }) => m.Metrics.map((x) => x.Name));
  return declared.includes(name) ? (doc[name] as number) : undefined;
}
