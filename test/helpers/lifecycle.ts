/**
 * The grant-lifecycle tests' shared steps over a test stack: a named grant, an extension, a run of
 * the expiry job and the tenant's items as the table holds them.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expectConsistent, tenantItems } from './invariants.ts';
import { ok, type People, type TestApi, type Who } from './http.ts';
import { asGrantee } from './mail.ts';

export { expectConsistent };
export const HOUR = 3_600_000;
export const t = (p: People) => `/v1/tenants/${p.tenantId}`;

/** The steps over the stack that `api()` gives (a file's own, started in its beforeAll). */
export function lifecycleOf(api: () => TestApi, doc: DynamoDBDocumentClient) {
  /** A named grant for the agent, made by the admin. */
  const grantFor = async (p: People, who: Who, durationHours = 2) =>
    (
      await ok(
        api().call('POST', `${t(p)}/grants`, {
          as: p.admin,
          body: { reason: 'look at the export', scope: { level: 'read-only' }, durationHours, grantees: [asGrantee(who)] },
        }),
        201,
        'grant',
      )
    ).body;

  const extend = (p: People, grantId: string, as: Who, hours = 2, reason = 'the export needs another run') =>
    api().call('POST', `${t(p)}/grants/${grantId}/extensions`, { as, body: { hours, reason } });

  async function runJob() {
    const res = await ok(api().call('POST', '/_local/jobs/expire'), 200, 'expire');
    // The local job answers the expiry report (possibly nested with the audit sealing's).
    return (res.body.expiry ?? res.body) as {
      grantsWarned: number;
      requestsEscalated: number;
      grantsExpired: number;
      requestsExpired: number;
    };
  }

  const state = (p: People) => tenantItems(doc, api().stack.tableName, p.tenantId);
  return { grantFor, extend, runJob, state };
}
