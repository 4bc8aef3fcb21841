/**
 * `Accept: text/csv` on the login history and the audit trail: the whole window as one CSV body.
 *
 * API Gateway's HTTP API invokes Lambda synchronously and cannot stream a response, so the body is
 * built page by page (one DynamoDB page in memory at a time, see `domain/export.ts`) into a
 * buffer bounded at `MAX_CSV_BYTES`, under Lambda's 6 MB response limit. A window whose CSV is
 * larger answers 413 `PAYLOAD_TOO_LARGE` asking for a narrower `from`/`to`, so nobody gets a
 * silently cut file.
 */
import { csvFilename, MAX_CSV_BYTES } from '../../contract/csv.ts';
import type { RouteDef } from '../../contract/routes.ts';
import type { ExportQuery } from '../../contract/schemas.ts';
import type { TimeRange } from '../ports.ts';
import { HttpError } from './problem.ts';
import type { Input, Reply } from './api.ts';

/** The caller asked for CSV (`Accept: text/csv`, whatever else it lists after it). */
export function wantsCsv(input: Input<unknown>): boolean {
  const headers = input.event.headers ?? {};
  const accept = Object.entries(headers).find(([k]) => k.toLowerCase() === 'accept')?.[1] ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept);
}

/** The export window of a CSV request: both ends required (the schema bounds their distance). */
export function csvRange(query: ExportQuery | undefined): TimeRange {
  const missing = (['from', 'to'] as const).filter((k) => !query?.[k]);
  if (missing.length > 0) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      'a CSV export needs its window: from and to (ISO 8601 timestamps, at most 366 days apart)',
      missing.map((k) => ({ path: `query.${k}`, message: 'required with Accept: text/csv' })),
    );
  }
  return { from: new Date(query!.from!).toISOString(), to: new Date(query!.to!).toISOString() };
}

/**
 * The window a JSON list narrows to: whichever ends are given (an open end reaches the first or
 * the last possible id); none: undefined, the whole list.
 */
export function windowOf(query: ExportQuery | undefined): TimeRange | undefined {
  if (!query?.from && !query?.to) return undefined;
  return { from: new Date(query.from ?? 0).toISOString(), to: new Date(query.to ?? Date.UTC(9999, 0)).toISOString() };
}

/**
 * Collects the CSV of `chunks` into one answer, refusing past `MAX_CSV_BYTES`; the file is named
 * after the route's export (`route.csv`, as the OpenAPI document shows it) and the tenant.
 */
export async function csvReply(route: RouteDef, tenantId: string, chunks: AsyncIterable<string>, limit = MAX_CSV_BYTES): Promise<Reply> {
  if (!route.csv) throw new Error(`${route.id} declares no CSV export`);
  const filename = csvFilename(route.csv, tenantId);
  const parts: string[] = [];
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    if (bytes > limit) {
      throw new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the export is over ${limit} bytes, the most one answer can carry; narrow the window (from, to)`,
      );
    }
    parts.push(chunk);
  }
  return { status: 200, raw: parts.join(''), contentType: 'text/csv; charset=utf-8; header=present', filename };
}
