/**
 * The console's roles come from the served OpenAPI document (every operation's `x-roles`), never
 * from a copied list: this fails when `web/src/api/roles.gen.ts` is stale (run `npm run web:types`).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROLES as API_ROLES } from '../../lambdas/contract/routes.ts';
import { ROLES_FILE, webRoles } from '../../scripts/web-types.ts';
import { ROLES } from '../../web/src/api/roles.gen.ts';

describe('web/src/api/roles.gen.ts', () => {
  it('is the roles of the served document', async () => {
    // Prepare
    const checkedIn = await readFile(ROLES_FILE, 'utf8');
    // Act
    const generated = webRoles();
    // Assess
    expect(checkedIn, 'the console roles are stale: run `npm run web:types`').toBe(generated);
    expect([...ROLES].sort()).toEqual([...API_ROLES].sort());
  });
});
