/**
 * The CSV exports of the contract (v1.1, `Accept: text/csv`): their columns and their size bound,
 * in one place for the domain that writes them, the handlers that answer them and the OpenAPI
 * document and API reference that describe them.
 */

/**
 * The most CSV one answer carries. API Gateway's HTTP API cannot stream a Lambda's answer and a
 * synchronous Lambda answer is at most 6 MB, so a window whose CSV is larger answers 413.
 */
export const MAX_CSV_BYTES = 5 * 1024 * 1024;

/** The login history's columns, in order (the header row). */
export const SESSION_CSV_COLUMNS = [
  'sessionId',
  'grantId',
  'accessedById',
  'accessedByEmail',
  'accessedByName',
  'reason',
  'signInAt',
  'signOutAt',
  'endedBy',
  'grantedByEmail',
  'sourceIp',
  'userAgent',
] as const;

/** The audit trail's columns, in order (the header row); `details` is a JSON object. */
export const AUDIT_CSV_COLUMNS = ['eventId', 'at', 'actorId', 'actorEmail', 'actorName', 'action', 'targetId', 'details'] as const;

/** A route's CSV export: what it holds, its columns and the name of the downloaded file. */
export interface CsvExport {
  /** What the CSV holds (one sentence, no final stop). */
  description: string;
  columns: readonly string[];
  /** The file name before `-{tenantId}.csv`. */
  file: string;
}

/** The name a route's export is downloaded under (`content-disposition: attachment`). */
export const csvFilename = (csv: CsvExport, tenantId: string) => `${csv.file}-${tenantId}.csv`;
