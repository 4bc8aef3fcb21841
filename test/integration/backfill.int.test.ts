/**
 * The v1.1 upgrade of sessions written before it (`npm run backfill:sessions`): against DynamoDB
 * Local and the real stack, sessions stored as the code before v1.1 stored them (no grant or person
 * index keys) are missing from their grant's end-of-access digest and from the login history
 * filtered by person until the backfill gives them their keys; a rerun changes nothing.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attr, keys } from '../../lambdas/contract/table.ts';
import type { SessionRecord } from '../../lambdas/kernel/ports.ts';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { backfillSessionKeys } from '../../lambdas/modules/sessions/store-backfill.ts';
import { sessionItem } from '../../lambdas/modules/sessions/entity.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type People, type TestApi, ok } from '../helpers/http.ts';
import { asGrantee, deliver, onlyMail } from '../helpers/mail.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});

const MIN = 60_000;
const t = (p: People) => `/v1/tenants/${p.tenantId}`;
const table = () => api.stack.tableName;

/** A session item as the code before v1.1 wrote it: the table key and the record, no index keys. */
async function legacySession(p: People, grant: { grantId: string; grantedBy: unknown; expiresAt: string }, reason: string, at: number) {
  const record: SessionRecord = {
    sessionId: ulid(at),
    tenantId: p.tenantId,
    grantId: grant.grantId,
    accessedBy: { id: p.agent.sub, email: p.agent.email, name: p.agent.name },
    reason,
    signInAt: new Date(at).toISOString(),
    signOutAt: new Date(at + 5 * MIN).toISOString(),
    endedBy: 'agent',
    grantedBy: grant.grantedBy as SessionRecord['grantedBy'],
    sourceIp: '198.51.100.7',
    userAgent: 'curl/8',
    grantExpiresAt: grant.expiresAt,
  };
  const item = sessionItem(record);
  for (const k of [attr.gsi1pk, attr.gsi1sk, attr.gsi2pk, attr.gsi2sk]) delete item[k];
  await doc.send(new PutCommand({ TableName: table(), Item: item }));
  return record;
}

const stored = async (tenantId: string, sessionId: string) =>
  (await doc.send(new GetCommand({ TableName: table(), Key: keys.session(tenantId, sessionId), ConsistentRead: true }))).Item!;

/** `npm run backfill:sessions -- …` against this file's table on DynamoDB Local. */
const cli = (args: string[]) =>
  promisify(execFile)(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/backfill-sessions.ts', ...args], {
    env: { ...process.env, TABLE_NAME: table(), DYNAMODB_ENDPOINT: inject('dynamoEndpoint') },
  });

describe('npm run backfill:sessions (the v1.1 upgrade of older sessions)', () => {
  it('gives older sessions their grant and person keys once: the digest and the person filter then count them, a rerun writes nothing', async () => {
    // Prepare: a grant; two sessions under it as stored before v1.1; one through today's API.
    const p = await setupTenant(api);
    const grant = (
      await ok(
        api.call('POST', `${t(p)}/grants`, {
          as: p.admin,
          body: { reason: 'month-end', scope: { level: 'read-only' }, durationHours: 4, grantees: [asGrantee(p.agent)] },
        }),
        201,
        'grant',
      )
    ).body;
    const start = Date.parse((await api.call('GET', '/_local/clock')).body.now);
    const old1 = await legacySession(p, grant, 'looked before the upgrade', start + 1 * MIN);
    const old2 = await legacySession(p, grant, 'looked again before the upgrade', start + 10 * MIN);
    await api.advance(30 * 60);
    const fresh = await ok(
      api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'after the upgrade', grantId: grant.grantId } }),
      201,
      'sign in',
    );
    await api.advance(10 * 60);
    await ok(api.call('POST', `${t(p)}/sessions/${fresh.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'sign out');
    const byPerson = async () =>
      (await api.call('GET', `${t(p)}/sessions?accessedBy=${encodeURIComponent(p.agent.email)}`, { as: p.admin })).body.items.map(
        (s: { reason: string }) => s.reason,
      );
    // The login history lists all three, but the person filter (an index) sees only the new one.
    expect((await api.call('GET', `${t(p)}/sessions`, { as: p.admin })).body.items).toHaveLength(3);
    expect(await byPerson()).toEqual(['after the upgrade']);
    const before = await stored(p.tenantId, old1.sessionId);

    // Act: a dry run, the backfill, then the backfill again.
    const dry = await cli(['--dry-run']);
    const first = await backfillSessionKeys(doc, table(), { segments: 3 });
    const again = await cli([]);

    // Assess: the dry run counted and wrote nothing; the first run wrote both; the rerun nothing.
    expect(dry.stdout).toMatch(/; 2 sessions lacked index keys; dry run: nothing written/);
    expect(first).toMatchObject({ missing: 2, updated: 2, skipped: 0, unreadable: [] });
    expect(first.scanned).toBeGreaterThan(3);
    expect(again.stdout).toMatch(/; 0 sessions lacked index keys; updated 0, skipped 0/);
    // Only the index keys were added, spelled as every write spells them.
    const after = await stored(p.tenantId, old1.sessionId);
    expect(after).toEqual({
      ...before,
      ...keys.byGrant(p.tenantId, grant.grantId, old1.sessionId),
      ...keys.sessionByPerson(p.tenantId, p.agent.email, old1.sessionId),
    });
    expect(await byPerson()).toEqual(['after the upgrade', 'looked again before the upgrade', 'looked before the upgrade']);
    // The grant's end: one digest with every session under it, the older two included.
    await ok(api.call('POST', `${t(p)}/grants/${grant.grantId}/revoke`, { as: p.admin, body: { reason: 'done' } }), 200, 'revoke');
    await deliver(api);
    const digest = await onlyMail(api, p.contact, /revoked: 3 sessions, 20 min/);
    for (const s of [old1, old2]) expect(digest.body.text).toContain(s.reason);
    expect(digest.body.text).toContain('after the upgrade');
  });

  it('leaves alone, and names, an item typed as a session that no longer reads as one (exit code 1)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const broken = { ...keys.session(p.tenantId, ulid()), [attr.type]: 'session', tenantId: p.tenantId, reason: 'no grant, no person' };
    await doc.send(new PutCommand({ TableName: table(), Item: broken }));
    // Act
    const run = await cli([]).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`not a readable session, left alone: ${broken.PK} / ${broken.SK}`);
    expect(await stored(p.tenantId, broken.SK.slice('SESSION#'.length))).toEqual(broken);
  });
});
