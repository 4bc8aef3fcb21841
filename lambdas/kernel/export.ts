/**
 * CSV export of the login history and the audit trail (RFC 4180): every item of a time window,
 * newest first, read page by page so that memory holds one page at a time, whatever the window.
 */
import { AUDIT_CSV_COLUMNS, SESSION_CSV_COLUMNS } from '../contract/csv.ts';
import type { AuditEvent } from '../contract/schemas.ts';
import { sessionView } from './model.ts';
import type { Deps, Page, PageInput, PageKey, TimeRange } from './ports.ts';

/** Items read per DynamoDB page while exporting. */
export const EXPORT_PAGE = 100;

/**
 * A formula starter (`=`, `+`, `-`, `@`, TAB or CR) at the start of the cell, or after one of the
 * separators a spreadsheet may split on (`;`, `,`, `|`, TAB) and any spaces: where a spreadsheet
 * would begin a cell and run a formula.
 */
const FORMULA_START = /(^|[;,|\t])( *)(?=[=+\-@\t\r])/g;

/**
 * One CSV cell. Every place a spreadsheet could start a formula (`FORMULA_START`: the cell's first
 * character, and the first after a `;`, `,`, `|` or TAB, for one that splits on those) gets a `'`
 * before it, so `Reproduce bug;=1+2` is `Reproduce bug;'=1+2`. Then the cell is quoted (quotes
 * doubled) when it holds a comma, a quote, CR, LF, `;`, `|` or TAB, so that a spreadsheet that
 * honours quotes keeps it one cell.
 */
export function csvCell(value: unknown): string {
  const s = (
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value)
  ).replace(FORMULA_START, "$1$2'");
  return /[",\r\n;|\t]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV record, CRLF-terminated as RFC 4180 has it. */
export const csvRow = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** Pages through a list, yielding each page's CSV text: the header first. */
async function* pages<T>(
  header: readonly string[],
  read: (page: PageInput) => Promise<Page<T>>,
  row: (t: T) => unknown[],
): AsyncGenerator<string> {
  yield csvRow([...header]);
  let after: PageKey | undefined;
  do {
    const page = await read({ limit: EXPORT_PAGE, after });
    if (page.items.length) yield page.items.map((t) => csvRow(row(t))).join('');
    after = page.next ?? undefined;
  } while (after);
}

/**
 * The login history of `[from, to)` as CSV, newest sign-in first, one page at a time; with
 * `accessedBy`, only that person's sign-ins (the same key condition as the JSON list).
 */
export function exportSessions(
  deps: Deps,
  tenantId: string,
  range: TimeRange & { accessedBy?: string | undefined },
): AsyncGenerator<string> {
  const now = deps.clock.now();
  return pages(
    SESSION_CSV_COLUMNS,
    (p) => deps.store.listSessions(tenantId, p, range),
    (r) => {
      const s = sessionView(r, now);
      return [
        s.sessionId,
        s.grantId,
        s.accessedBy.id,
        s.accessedBy.email,
        s.accessedBy.name,
        s.reason,
        s.signInAt,
        s.signOutAt,
        s.endedBy,
        s.grantedBy.email,
        s.sourceIp,
        s.userAgent,
      ];
    },
  );
}

/** The audit trail of `[from, to)` as CSV, newest first, one page at a time. */
export function exportAudit(deps: Deps, tenantId: string, range: TimeRange): AsyncGenerator<string> {
  return pages(
    AUDIT_CSV_COLUMNS,
    (p) => deps.store.listAudit(tenantId, p, range),
    (e: AuditEvent) => {
      const actor = e.actor as { id: string; email?: string; name?: string };
      return [e.eventId, e.at, actor.id, actor.email ?? '', actor.name ?? '', e.action, e.targetId, e.details];
    },
  );
}
