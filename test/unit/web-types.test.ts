/**
 * The console's API types are generated from the served OpenAPI document: this fails when the
 * checked-in `web/src/api/schema.d.ts` and the document disagree (run `npm run web:types`).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, webTypes } from '../../scripts/web-types.ts';

describe('web/src/api/schema.d.ts', () => {
  it('is what openapi-typescript makes of the served document', async () => {
    // Prepare
    const checkedIn = await readFile(SCHEMA_FILE, 'utf8');
    // Act
    const generated = await webTypes();
    // Assess
    expect(checkedIn, 'the console types are stale: run `npm run web:types`').toBe(generated);
  });
});
