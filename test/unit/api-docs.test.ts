/** `docs/api.md`'s route reference is generated from the route table and the schemas, and kept current. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { apiReference, withReference } from '../../lambdas/contract/api-reference.ts';
import { routes } from '../../lambdas/contract/routes.ts';
import { API_DOC } from '../../scripts/api-docs.ts';

describe('docs/api.md', () => {
  it('holds the route reference as the route table and schemas make it now (else: npm run docs:api)', async () => {
    const page = await readFile(API_DOC, 'utf8');
    expect(withReference(page), 'docs/api.md is stale: run npm run docs:api').toBe(page);
  });

  it('names every route, with its roles and its fields', () => {
    const reference = apiReference();
    for (const r of routes) expect(reference).toContain(`\`${r.method} ${r.path}\` — ${r.id}`);
    expect(reference).toContain('- Body from a `support-lead`:');
    expect(reference).toContain('`approvedBy`');
  });

  it('says which lists also answer CSV, with their columns and the 413 past the cap', () => {
    const reference = apiReference();
    for (const r of routes.filter((x) => 'csv' in x)) {
      const section = reference.slice(reference.indexOf(`— ${r.id}`)).split('\n### ')[0]!;
      expect(section).toContain('With `Accept: text/csv`');
      expect(section).toContain(r.csv.columns.join(','));
      expect(section).toContain('413 `PAYLOAD_TOO_LARGE`');
    }
    expect(routes.filter((x) => 'csv' in x).map((r) => r.id)).toEqual(['ListSessions', 'ListAuditEvents']);
  });
});
