/**
 * The route and shape reference of `docs/api.md`, generated from the route table and the zod
 * schemas like the OpenAPI document (`npm run docs:api` writes it between the markers; a test fails
 * when the checked-in page is stale).
 */
import * as z from 'zod';
import { MAX_CSV_BYTES } from './csv.ts';
import { routes, type RouteDef } from './routes.ts';

export const BEGIN = '<!-- BEGIN GENERATED: npm run docs:api -->';
export const END = '<!-- END GENERATED -->';

type Json = Record<string, unknown>;

const jsonOf = (s: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;

/** A JSON schema as a short type: `string`, `int 1–720`, `"a" | "b"`, `{…}`, `T[]`. */
function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if ('const' in s) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts) return alts.map(typeOf).join(' \\| ');
  const range = (lo: unknown, hi: unknown) => (lo !== undefined || hi !== undefined ? ` ${String(lo ?? '')}–${String(hi ?? '')}` : '');
  switch (s.type) {
    case 'array':
      return `${s.items ? typeOf(s.items as Json) : 'unknown'}[]`;
    case 'object':
      return '{…}';
    case 'integer':
      return `int${range(s.minimum, s.maximum)}`;
    case 'string':
      return s.format ? `string (${String(s.format)})` : `string${range(s.minLength, s.maxLength)}`;
    case undefined:
      return 'any';
    default:
      return Array.isArray(s.type) ? s.type.join(' \\| ') : String(s.type);
  }
}

/** The fields of an object schema, one line each (`name` type, required or optional). */
function fields(s: Json): string[] {
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts) return alts.flatMap((a, i) => [`  - one of (${i + 1}):`, ...fields(a).map((l) => `  ${l}`)]);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(
    ([name, p]) => `  - \`${name}\`${required.has(name) ? '' : '?'}: ${typeOf(p)}${p.description ? ` — ${String(p.description)}` : ''}`,
  );
}

function routeSection(r: RouteDef): string[] {
  const lines = [`### \`${r.method} ${r.path}\` — ${r.id}`, '', r.summary + '.', ''];
  lines.push(
    `- Who: ${r.auth ? r.roles.map((x) => `\`${x}\``).join(', ') || 'nobody' : 'anyone (no token)'}${r.condition ? `; also: ${r.condition}` : ''}`,
  );
  if (r.query) lines.push('- Query:', ...fields(jsonOf(r.query, 'input')));
  if (r.bodyByRole) {
    for (const [role, schema] of Object.entries(r.bodyByRole))
      if (schema) lines.push(`- Body from a \`${role}\`:`, ...fields(jsonOf(schema, 'input')));
  } else if (r.body) lines.push('- Body:', ...fields(jsonOf(r.body, 'input')));
  if (r.idempotent) lines.push('- Accepts `Idempotency-Key`.');
  const ok = r.success;
  lines.push(
    `- Answers ${ok.status}${ok.also ? ` (or ${ok.also.status}: ${ok.also.description})` : ''}: ${ok.description}${ok.schema ? '' : ' (no body)'}`,
  );
  if (ok.schema) lines.push(...fields(jsonOf(ok.schema, 'output')));
  if (r.csv) {
    lines.push(
      `- With \`Accept: text/csv\` (\`from\` and \`to\` required): 200 \`text/csv\`, ${r.csv.description}, not paged, as the attachment \`${r.csv.file}-{tenantId}.csv\`; over ${MAX_CSV_BYTES} bytes: 413 \`PAYLOAD_TOO_LARGE\` (narrow the window). Columns:`,
      `  \`${r.csv.columns.join(',')}\``,
    );
  }
  return [...lines, ''];
}

/** The generated reference, markers included. */
export function apiReference(): string {
  const body = (routes as readonly RouteDef[]).flatMap(routeSection);
  return [BEGIN, '', '## Route reference (generated)', '', ...body, END].join('\n');
}

/** The page with its generated part replaced. */
export function withReference(page: string): string {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a === -1 || b === -1 || b < a) return `${page.trimEnd()}\n\n${apiReference()}\n`;
  return page.slice(0, a) + apiReference() + page.slice(b + END.length);
}
