/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas (never written by
 * hand), so the served contract cannot drift from what the handlers validate.
 */
import * as z from 'zod';
import { type CsvExport, MAX_CSV_BYTES } from './csv.ts';
import { routes, type RouteDef } from './routes.ts';
import { Problem } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

const schemaOf = (s: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
};

function parameters(route: RouteDef): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    const json = schema ? schemaOf(schema, 'input') : undefined;
    const props = (json?.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json?.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
  };
  add(route.params, 'path');
  add(route.query, 'query');
  if (route.idempotent) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'The same key with the same body within 24 h answers the first response again; with another body, 422.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  return out;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemRef } } });

/**
 * The `text/csv` answer of a route that exports (`Accept: text/csv`): RFC 4180 text with a header
 * row, downloaded as an attachment.
 */
function csvContent(csv: CsvExport): Record<string, unknown> {
  const header = csv.columns.join(',');
  return {
    'text/csv': {
      schema: {
        type: 'string',
        description: `With \`Accept: text/csv\`: ${csv.description}, as RFC 4180 CSV (CRLF line ends), not paged. The header row: \`${header}\`. A cell that begins with \`=\`, \`+\`, \`-\`, \`@\`, TAB or CR is prefixed with \`'\`.`,
      },
      example: `${header}\r\n`,
    },
  };
}

function responses(route: RouteDef): Record<string, unknown> {
  const ok = route.success;
  const okResponse: Record<string, unknown> = ok.schema
    ? { description: ok.description, content: { 'application/json': { schema: schemaOf(ok.schema, 'output') } } }
    : { description: ok.description };
  if (route.csv) {
    okResponse.description = `${ok.description}; with \`Accept: text/csv\`, the whole window as CSV`;
    okResponse.content = { ...(okResponse.content as object), ...csvContent(route.csv) };
    okResponse.headers = {
      'Content-Disposition': {
        description: `With \`Accept: text/csv\` only: \`attachment; filename="${route.csv.file}-{tenantId}.csv"\``,
        schema: { type: 'string' },
      },
    };
  }
  const res: Record<string, unknown> = { [String(ok.status)]: okResponse };
  if (ok.also) res[String(ok.also.status)] = { ...okResponse, description: ok.also.description };
  if (!route.auth) return res;
  res['400'] = problemResponse(
    route.csv
      ? 'VALIDATION_FAILED: a path, query or header value is not valid; with `Accept: text/csv`, `from` and `to` are required (at most 366 days apart)'
      : 'VALIDATION_FAILED: a body, path, query or header value is not valid',
  );
  res['401'] = problemResponse('UNAUTHENTICATED: no valid bearer token');
  res['403'] = problemResponse('FORBIDDEN (or ACCESS_NOT_GRANTED for a sign-in)');
  res['404'] = problemResponse('NOT_FOUND: absent, or of another tenant');
  if (route.method !== 'GET') {
    res['409'] = problemResponse('CONFLICT or NO_AUTHORIZED_CONTACT');
    res['413'] = problemResponse('PAYLOAD_TOO_LARGE');
    res['415'] = problemResponse('UNSUPPORTED_MEDIA_TYPE');
  }
  if (route.csv) {
    res['413'] = problemResponse(
      `PAYLOAD_TOO_LARGE: with \`Accept: text/csv\`, the window's CSV is over ${MAX_CSV_BYTES} bytes, the most one answer carries; ask for narrower windows (\`from\`, \`to\`)`,
    );
  }
  if (route.idempotent) res['422'] = problemResponse('IDEMPOTENCY_KEY_REUSED');
  res['500'] = problemResponse('INTERNAL');
  return res;
}

/** Builds the whole document. */
export function openApiDocument(serverUrl = '/'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes as readonly RouteDef[]) {
    const op: Record<string, unknown> = {
      operationId: r.id,
      summary: r.summary,
      tags: [r.group],
      'x-roles': r.roles,
      ...(r.condition ? { description: `Also: ${r.condition}.` } : {}),
      parameters: parameters(r),
      responses: responses(r),
      security: r.auth ? [{ bearer: [] }] : [],
    };
    if (r.body) {
      const schema = schemaOf(r.body, 'input');
      // A body whose every field is optional may be left out altogether.
      const required = 'anyOf' in schema || ((schema.required as string[] | undefined) ?? []).length > 0;
      op.requestBody = { required, content: { 'application/json': { schema } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Support access API',
      version: '1.0.0',
      description:
        "Support staff get into a customer's account only with that customer's permission: temporary, scoped, revocable, and every use visible.",
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: schemaOf(Problem, 'output') },
    },
  };
}
