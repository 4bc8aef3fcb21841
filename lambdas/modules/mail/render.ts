/**
 * How an email's structured content becomes its subject, plain text and HTML: the times as people
 * read them, every user text escaped in HTML, and no control character anywhere (a name, email or
 * reason carrying CR/LF or another control character could otherwise forge lines in the plain-text
 * mail: defence in depth behind the single-line schemas and the identity step).
 */
import { toSingleLine } from '../../kernel/identity.ts';

export interface MailContent {
  subject: string;
  heading: string;
  intro: string;
  facts: [label: string, value: string][];
  /** A table after the facts (the digest's sessions): a header row, then rows. */
  table?: { head: string[]; rows: string[][] };
  action: { label: string; url: string };
  /** Why the recipient gets it, when not the default for its recipients. */
  why?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const CLOCK = (timeZone: string) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
const DAY_IN = (timeZone: string) => new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone });
const dayOf = (f: Intl.DateTimeFormat, d: Date) => {
  const part = (t: string) => f.formatToParts(d).find((p) => p.type === t)?.value ?? '';
  return [part('weekday'), part('day'), part('month'), part('year')].filter(Boolean).join(' ');
};

/**
 * A time as people read it: `Tue 1 Dec 2026, 10:26 UTC (11:26 Europe/Prague)`; the tenant's day
 * is named too when it is not the UTC day (`(Wed 2 Dec, 01:26 Asia/Tokyo)`).
 */
export function readableTime(isoTime: string, timeZone = 'UTC'): string {
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return isoTime;
  const utc = `${dayOf(DAY, d)}, ${CLOCK('UTC').format(d)} UTC`;
  if (timeZone === 'UTC') return utc;
  const localDay = dayOf(DAY_IN(timeZone), d);
  const sameDay = localDay === dayOf(DAY_IN('UTC'), d);
  return `${utc} (${sameDay ? '' : `${localDay}, `}${CLOCK(timeZone).format(d)} ${timeZone})`;
}

/** A duration as `2 h 05 min`, `12 min`, `40 s`. */
export function readableDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 0) return `${Math.round(ms / 1000)} s`;
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h} h ${String(minutes % 60).padStart(2, '0')} min` : `${minutes} min`;
}

/** One line of mail text: every control character or line separator becomes a space. */
export const oneLine = toSingleLine;

export const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

/**
 * The subject, text and HTML of one email's content, sent for the reason `why`. Every string of
 * the content goes through `oneLine` first, so whatever a template was given, the text has only
 * the line breaks the layout puts there.
 */
export function composeMail(content: MailContent, why: string): RenderedMail {
  const c: MailContent = {
    subject: oneLine(content.subject),
    heading: oneLine(content.heading),
    intro: oneLine(content.intro),
    facts: content.facts.map(([l, v]) => [oneLine(l), oneLine(v)]),
    ...(content.table ? { table: { head: content.table.head.map(oneLine), rows: content.table.rows.map((r) => r.map(oneLine)) } } : {}),
    action: { label: oneLine(content.action.label), url: oneLine(content.action.url) },
  };
  const line = oneLine(why);
  const width = Math.max(...c.facts.map(([l]) => l.length));
  const table = c.table
    ? [
        '',
        ...c.table.rows.flatMap((row, i) => [
          `${i + 1}. ${row[0]}`,
          ...row.slice(1).map((v, j) => `   ${`${c.table!.head[j + 1]}:`.padEnd(12)}${v}`),
        ]),
      ]
    : [];
  const text = [
    c.heading,
    '',
    c.intro,
    '',
    ...c.facts.map(([l, v]) => `${`${l}:`.padEnd(width + 2)}${v}`),
    ...table,
    '',
    `${c.action.label}: ${c.action.url}`,
    '',
    `-- Support access: ${line}.`,
  ].join('\n');
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;text-align:left';
  const html = `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#16191f;max-width:720px;margin:0 auto;padding:16px">
<h2 style="margin:0 0 12px">${escapeHtml(c.heading)}</h2>
<p style="line-height:1.5">${escapeHtml(c.intro)}</p>
<table style="border-collapse:collapse;margin:12px 0">${c.facts.map(([l, v]) => `<tr><th style="${cell};color:#5f6b7a;font-weight:600">${escapeHtml(l)}</th><td style="${cell}">${escapeHtml(v)}</td></tr>`).join('')}</table>
${
  c.table
    ? `<table style="border-collapse:collapse;margin:12px 0;font-size:14px"><tr>${c.table.head.map((h) => `<th style="${cell};border-bottom:1px solid #d1d5db">${escapeHtml(h)}</th>`).join('')}</tr>${c.table.rows
        .map((row) => `<tr>${row.map((v) => `<td style="${cell};border-bottom:1px solid #eef0f2">${escapeHtml(v)}</td>`).join('')}</tr>`)
        .join('')}</table>`
    : ''
}
<p style="margin:24px 0"><a href="${escapeHtml(c.action.url)}" style="display:inline-block;background:#0972d3;color:#ffffff;text-decoration:none;font-weight:700;padding:12px 20px;border-radius:20px">${escapeHtml(c.action.label)}</a></p>
<p style="color:#5f6b7a;font-size:small">Support access: ${escapeHtml(line)}.</p>
</body></html>`;
  return { subject: c.subject, text, html };
}
