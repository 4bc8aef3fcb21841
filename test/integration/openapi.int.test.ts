/** The served OpenAPI document is generated from the route table and matches the snapshot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/contract/openapi.ts';
import { routes } from '../../lambdas/contract/routes.ts';
import { startTestApi, type TestApi } from '../helpers/http.ts';

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

  it('matches the reviewed snapshot (a contract change shows up in review)', async () => {
    await expect(JSON.stringify(openApiDocument(), null, 2)).toMatchFileSnapshot('../__snapshots__/openapi.json');
  });
});
