/** The served OpenAPI document is generated from the route table and matches the snapshot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/contract/openapi.ts';
import { routes } from '../../lambdas/contract/routes.ts';
import { setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

interface DocResponse {
  description: string;
  content?: Record<string, { schema: unknown; example?: string }>;
  headers?: Record<string, { description: string }>;
}
type Doc = { paths: Record<string, Record<string, { responses: Record<string, DocResponse> }>> };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

describe('GET /v1/openapi.json', () => {
  it('is served without a token, as OpenAPI 3.1, with every route of the table', async () => {
    // Act
    const res = await api.call('GET', '/v1/openapi.json');
    // Assess
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const r of routes) {
      const op = res.body.paths[r.path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op.operationId).toBe(r.id);
      expect(op.responses[String(r.success.status)]).toBeDefined();
      expect(op.security).toEqual(r.auth ? [{ bearer: [] }] : []);
    }
    expect(res.body).toEqual(openApiDocument());
  });

  it('documents the Idempotency-Key header and the 422 on the routes that create', async () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>>;
    };
    const post = doc.paths['/v1/tenants/{tenantId}/grants']!.post!;
    expect(post.parameters.map((p) => p.name)).toContain('Idempotency-Key');
    expect(post.responses['422']).toBeDefined();
  });

  it('documents the CSV exports: a text/csv answer with its header row, and the 413 past the cap, on the login history and the audit trail', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body as Doc;
    const exporting = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.responses['200']?.content?.['text/csv'])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(exporting.sort()).toEqual(['GET /v1/tenants/{tenantId}/audit-events', 'GET /v1/tenants/{tenantId}/sessions']);
    for (const path of ['/v1/tenants/{tenantId}/sessions', '/v1/tenants/{tenantId}/audit-events']) {
      const { responses } = doc.paths[path]!.get!;
      // JSON pages stay the default answer; CSV is one more media type of the same 200.
      expect(Object.keys(responses['200']!.content!).sort()).toEqual(['application/json', 'text/csv']);
      expect(responses['200']!.content!['text/csv']!.schema).toMatchObject({ type: 'string' });
      expect(responses['200']!.headers).toHaveProperty('Content-Disposition');
      expect(responses['413']!.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
      expect(responses['413']!.description).toMatch(/^PAYLOAD_TOO_LARGE: with `Accept: text\/csv`/);
      expect(responses['400']!.description).toMatch(/`from` and `to` are required/);
    }
  });

  it('says what the exports really answer: the header row it documents, as text/csv, under the file name it documents', async () => {
    // Prepare
    const p = await setupTenant(api);
    const doc = (await api.call('GET', '/v1/openapi.json')).body as Doc;
    const window = '?from=2020-01-01T00:00:00.000Z&to=2020-12-31T00:00:00.000Z';
    for (const path of ['/v1/tenants/{tenantId}/sessions', '/v1/tenants/{tenantId}/audit-events']) {
      const documented = doc.paths[path]!.get!.responses['200']!;
      // Act
      const res = await api.call('GET', path.replace('{tenantId}', p.tenantId) + window, { as: p.admin, headers: { accept: 'text/csv' } });
      // Assess
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/csv/);
      expect(res.body, path).toBe(documented.content!['text/csv']!.example);
      const file = /filename="([^"]+)"/
        .exec(documented.headers!['Content-Disposition']!.description)![1]!
        .replace('{tenantId}', p.tenantId);
      expect(res.headers.get('content-disposition'), path).toBe(`attachment; filename="${file}"`);
    }
  });

  it('matches the reviewed snapshot (a contract change shows up in review)', async () => {
    await expect(JSON.stringify(openApiDocument(), null, 2)).toMatchFileSnapshot('../__snapshots__/openapi.json');
  });
});
