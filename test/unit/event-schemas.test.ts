/** The published events: one JSON Schema per detail-type in docs/events, generated and current. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventDetails } from '../../lambdas/modules/events/schemas.ts';
import { DETAIL_TYPES } from '../../lambdas/modules/events/rules.ts';
import { eventSchemaFiles, EVENTS_DIR } from '../../scripts/event-schemas.ts';

describe('event schemas', () => {
  it('name every detail-type of the contract, and the publisher maps an audit action to each', () => {
    const contract = [
      'Access Request Created',
      'Access Request Approved',
      'Access Request Denied',
      'Access Request Cancelled',
      'Access Request Expired',
      'Access Request Escalated',
      'Grant Activated',
      'Grant Extended',
      'Grant Revoked',
      'Grant Expired',
      'Grant Grantee Added',
      'Session Started',
      'Session Ended',
      'Session Denied',
    ];
    expect(Object.keys(EventDetails).sort()).toEqual([...contract].sort());
    expect(
      Object.values(DETAIL_TYPES)
        .map(([t]) => t)
        .sort(),
    ).toEqual([...contract].sort());
  });

  it('are checked in under docs/events exactly as generated (npm run events:schemas)', async () => {
    const files = eventSchemaFiles();
    expect((await readdir(EVENTS_DIR)).filter((f) => f.endsWith('.json')).sort()).toEqual([...files.keys()].sort());
    for (const [name, text] of files) expect(await readFile(join(EVENTS_DIR, name), 'utf8'), name).toBe(text);
  });
});
