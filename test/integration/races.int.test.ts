/**
 * Races, against DynamoDB Local through real HTTP: in each round many approvals, denials,
 * cancellations, revokes, grantee additions, sign-ins and expiry runs hit the same requests and
 * grants at once (in some rounds exactly as the grants fall due). After each round the table and
 * the answers must agree on what happened:
 * - one decision per request, and one grant per approved request (none for the others);
 * - the agent, asking for more while its requests are decided, never has more PENDING requests
 *   than its bound, and the count that bounds them is exactly its PENDING requests;
 * - no session open under a grant that is not ACTIVE, none opened after its grant ended, and the
 *   grant's record of its open sessions is exactly its open sessions;
 * - access entries exist exactly for the ACTIVE grants;
 * - every change has its audit event, once (counted against the stored transitions and against
 *   the successful answers);
 * - every change that owes mail queued it once, every message was delivered, and nobody got a
 *   message twice.
 * `RACE_ROUNDS` scales the rounds (CI runs the default).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MAX_PENDING_REQUESTS_PER_AGENT } from '../../lambdas/modules/requests/rules.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { expectConsistent, expectMailOnce, tenantItems, type Item } from '../helpers/invariants.ts';
import { setupTenant, startTestApi, type People, type Res, type TestApi, type Who, ok } from '../helpers/http.ts';
import { FaultyMail } from '../helpers/mail.ts';

const mailer = new FaultyMail();
let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi({ wrapMailer: mailer.wrap });
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});

const REQUESTS = 4;
const GRANTS = 3;
/** Requests the agent adds during the race: with the REQUESTS still open, more than its bound. */
const ASKS = MAX_PENDING_REQUESTS_PER_AGENT - REQUESTS + 3;
/** How long before the first grant falls due the racing calls start, in an at-expiry round. */
const EXPIRY_MARGIN_S = 0.3;

interface Round {
  name: string;
  approvalsRequired: number;
  /** Move the clock so that the round's first grants fall due while the calls race. */
  atExpiry: boolean;
}
const BASE: Round[] = [
  { name: 'one approval needed', approvalsRequired: 1, atExpiry: false },
  { name: 'two approvals needed, grants falling due mid-race', approvalsRequired: 2, atExpiry: true },
  { name: 'one approval needed, grants falling due mid-race', approvalsRequired: 1, atExpiry: true },
  { name: 'two approvals needed', approvalsRequired: 2, atExpiry: false },
];
// A round is some sixty concurrent calls against one DynamoDB Local: seconds on a quiet machine,
// far more with both cores busy. Patience, not retries: nothing in a round depends on how long it takes.
const ROUND_TIMEOUT_MS = 240_000;
const SCALE = Math.max(1, Number(process.env.RACE_ROUNDS ?? 1));
const ROUNDS = Array.from({ length: SCALE }, (_, i) => BASE.map((r) => ({ ...r, name: `${r.name} (#${i + 1})` }))).flat();

const grantee = (w: Who) => ({ id: w.sub, email: w.email, name: w.name });
const extra = (p: People, n: number): Who => ({
  sub: `agent${n}-${p.tenantId.slice(-8)}`,
  email: `agent${n}-${p.tenantId.slice(-8)}@vendor.test`,
  name: `Extra ${n}`,
  groups: ['support-agent'],
});

/**
 * Delivers until every outbox message of the tenant is sent. A drain that sends nothing does not
 * mean that: on a busy machine a message may still be in flight in the stack's own delivery, or
 * waiting out a retry's backoff, so the condition is read from the table itself.
 */
async function settleMail(tenantId: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    await ok(api.call('POST', '/_local/jobs/deliver'), 200, 'deliver');
    const { outbox } = await tenantItems(doc, api.stack.tableName, tenantId);
    const unsent = outbox.filter((m) => m.status !== 'SENT');
    if (unsent.length === 0) return;
    if (Date.now() > deadline) throw new Error(`mail did not settle: ${unsent.map((m) => `${m.kind} ${m.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Tally {
  route: string;
  target: string;
  res: Res;
}

describe('races on the same objects, round after round', () => {
  it.each(ROUNDS)(
    '$name: the invariants hold after the round',
    async (round) => {
      // Prepare: a tenant with three authorized contacts, its policy, pending requests and grants.
      const p = await setupTenant(api, { approvalsRequired: round.approvalsRequired });
      const t = `/v1/tenants/${p.tenantId}`;
      await ok(
        api.call('PUT', `${t}/contacts/${encodeURIComponent(p.contact2.email)}`, { as: p.admin, body: { name: p.contact2.name } }),
        201,
        'contact2',
      );
      const requests = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          ok(
            api.call('POST', `${t}/access-requests`, {
              as: p.agent,
              body: { ticketId: `T-${i}`, reason: `race ${i}`, scope: { level: 'read-only' }, durationHours: 1 },
            }),
            201,
            'request',
          ),
        ),
      );
      const grants = await Promise.all(
        Array.from({ length: GRANTS }, (_, i) =>
          ok(
            api.call('POST', `${t}/grants`, {
              as: p.admin,
              // The last grant covers the whole support team; the others name two agents.
              body: {
                reason: `race ${i}`,
                scope: { level: 'read-only' },
                durationHours: 1,
                ...(i < GRANTS - 1 ? { grantees: [grantee(p.agent), grantee(p.agent2)] } : {}),
              },
            }),
            201,
            'grant',
          ),
        ),
      );
      const requestIds = requests.map((r) => r.body.requestId as string);
      const grantIds = grants.map((g) => g.body.grantId as string);
      // Tokens are minted before the race, so that the calls start together.
      await Promise.all([p.admin, p.contact, p.contact2, p.lead, p.agent, p.agent2].map((w) => api.token(w)));
      if (round.atExpiry) {
        const now = Date.parse((await api.call('GET', '/_local/clock')).body.now);
        const due = Math.min(...grants.map((g) => Date.parse(g.body.expiresAt)));
        await api.advance(Math.max(0, (due - now) / 1000 - EXPIRY_MARGIN_S));
      }

      // Act: everything at once.
      const call = (route: string, target: string, method: string, path: string, as: Who, body: unknown = {}) =>
        api.call(method, path, { as, body }).then((res): Tally => ({ route, target, res }));
      const ops: Promise<Tally>[] = [];
      // Each object gets its own mix, so that every kind of race happens in every round (a cancel
      // alone would win most of them): approvals among themselves, approvals against a denial or a
      // cancellation, and everything at once; grantee additions with sign-ins, revokes with
      // sign-ins, and everything at once.
      requestIds.forEach((id, i) => {
        const r = `${t}/access-requests/${id}`;
        for (const who of [p.admin, p.contact, p.contact2]) ops.push(call('approve', id, 'POST', `${r}/approve`, who, { comment: 'yes' }));
        if (i % 2 === 1) for (const who of [p.contact2, p.admin]) ops.push(call('deny', id, 'POST', `${r}/deny`, who, { comment: 'no' }));
        if (i >= 2) ops.push(call('cancel', id, 'POST', `${r}/cancel`, p.agent));
      });
      grantIds.forEach((id, i) => {
        const g = `${t}/grants/${id}`;
        if (i >= 1)
          for (const who of [p.admin, p.lead, p.agent]) ops.push(call('revoke', id, 'POST', `${g}/revoke`, who, { reason: 'race' }));
        if (i !== 1) {
          ops.push(call('grantee', id, 'POST', `${g}/grantees`, p.lead, grantee(extra(p, 3))));
          ops.push(call('grantee', id, 'POST', `${g}/grantees`, p.admin, grantee(extra(p, 4))));
        }
        for (const who of [p.agent, p.agent2, p.agent, p.agent2])
          ops.push(call('signin', id, 'POST', `${t}/sessions`, who, { reason: 'race', grantId: id }));
      });
      // More requests by the same agent while its requests are decided: the PENDING bound holds.
      for (let i = 0; i < ASKS; i++) {
        ops.push(
          call('ask', '', 'POST', `${t}/access-requests`, p.agent, {
            ticketId: `T-more-${i}`,
            reason: 'more',
            scope: { level: 'read-only' },
            durationHours: 1,
          }),
        );
      }
      for (let i = 0; i < 2; i++) ops.push(api.call('POST', '/_local/jobs/expire').then((res) => ({ route: 'expire', target: '', res })));
      const answers = await Promise.all(ops);
      await settleMail(p.tenantId);
      const tally: Record<string, Record<number, number>> = {};
      for (const a of answers) (tally[a.route] ??= {})[a.res.status] = (tally[a.route]![a.res.status] ?? 0) + 1;
      console.log(`race round "${round.name}":`, JSON.stringify(tally));
      const s = await tenantItems(doc, api.stack.tableName, p.tenantId);

      // Assess: the answers are the contract's, never a 5xx.
      for (const a of answers) {
        expect([200, 201, 403, 404, 409], `${a.route} ${a.target}: ${a.res.status} ${JSON.stringify(a.res.body)}`).toContain(a.res.status);
      }
      const wins = (route: string, target: string) =>
        answers.filter((a) => a.route === route && a.target === target && a.res.status < 300).length;
      const events = (action: string, targetId?: string) =>
        s.audit.filter((e) => e.action === action && (targetId === undefined || e.targetId === targetId));

      // The stored state is whole and consistent (one decision per request, one grant per approved
      // request, no open session under an ended grant, an audit event and a message per change).
      expect(s.requests).toHaveLength(REQUESTS + wins('ask', ''));
      expect(s.requests.filter((r) => r.status === 'PENDING').length).toBeLessThanOrEqual(MAX_PENDING_REQUESTS_PER_AGENT);
      expectConsistent(s, round.approvalsRequired);
      const approved = s.requests.filter((r) => r.status === 'APPROVED');
      for (const r of approved) expect(r.approvals, `request ${r.requestId}`).toHaveLength(round.approvalsRequired);

      // And the answers agree with it: each winning answer is one stored transition.
      for (const r of s.requests) {
        const what = `request ${r.requestId} (${r.status})`;
        expect(wins('approve', r.requestId), what).toBe(r.approvals.length);
        expect(wins('deny', r.requestId), what).toBe(r.status === 'DENIED' ? 1 : 0);
        expect(wins('cancel', r.requestId), what).toBe(r.status === 'CANCELLED' ? 1 : 0);
      }
      for (const g of s.grants.filter((x) => grantIds.includes(x.grantId))) {
        const what = `grant ${g.grantId} (${g.status})`;
        expect(wins('revoke', g.grantId), what).toBe(g.status === 'REVOKED' ? 1 : 0);
        expect(wins('grantee', g.grantId), what).toBe(events('grant.grantee_added', g.grantId).length);
      }
      expect(answers.filter((a) => a.route === 'signin' && a.res.status === 201)).toHaveLength(s.sessions.length);

      // Read through the API: a session shown open is under a grant shown ACTIVE.
      const [history, listed] = await Promise.all([
        ok(api.call('GET', `${t}/sessions?limit=100`, { as: p.admin }), 200, 'history'),
        ok(api.call('GET', `${t}/grants?limit=100`, { as: p.admin }), 200, 'grants'),
      ]);
      const shown = new Map(listed.body.items.map((g: Item) => [g.grantId, g.status]));
      for (const x of history.body.items) if (x.signOutAt === null) expect(shown.get(x.grantId), `session ${x.sessionId}`).toBe('ACTIVE');

      // Mail: every message delivered, once to each recipient.
      expectMailOnce(
        s,
        mailer.attempts,
        [p.admin, p.contact, p.contact2, p.agent].map((w) => w.email),
      );
      expect(mailer.attempts.filter((a) => a.ok && a.to === p.admin.email).length).toBeGreaterThan(0);
    },
    ROUND_TIMEOUT_MS,
  );
});

/**
 * One person, one vote, raced: the same canonical email under several `sub`s (the same spelling,
 * another case, fullwidth letters that NFKC folds) approves the same request at the same instant.
 * Exactly one of them counts; the others answer 409 and change nothing.
 */
describe('one person, one vote, under concurrent approvals', () => {
  const fullwidth = (s: string) =>
    [...s].map((c) => (/[a-z]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41) : c)).join('');
  const twins = (p: People): Who[] => [
    p.contact,
    { ...p.user, sub: `twin-a-${p.tenantId.slice(-8)}`, email: p.contact.email },
    { ...p.user, sub: `twin-b-${p.tenantId.slice(-8)}`, email: p.contact.email.toUpperCase() },
    {
      ...p.user,
      sub: `twin-c-${p.tenantId.slice(-8)}`,
      email: `  ${fullwidth(p.contact.email.split('@')[0]!)}@${p.contact.email.split('@')[1]}  `,
    },
  ];

  it.each([
    { name: 'two approvals needed, only the twins vote', approvalsRequired: 2, alsoAdmin: false },
    { name: 'two approvals needed, the admin votes too', approvalsRequired: 2, alsoAdmin: true },
    { name: 'three approvals needed, the admin votes too', approvalsRequired: 3, alsoAdmin: true },
  ])(
    '$name: one twin counts, the others 409, the invariants hold',
    async ({ approvalsRequired, alsoAdmin }) => {
      // Prepare
      const p = await setupTenant(api, { approvalsRequired });
      const t = `/v1/tenants/${p.tenantId}`;
      const request = await ok(
        api.call('POST', `${t}/access-requests`, {
          as: p.agent,
          body: { ticketId: 'T-vote', reason: 'one vote each', scope: { level: 'read-only' }, durationHours: 1 },
        }),
        201,
        'request',
      );
      const voters = [...twins(p), ...(alsoAdmin ? [p.admin] : [])];
      await Promise.all(voters.map((w) => api.token(w)));
      // Act: every approval at once
      const answers = await Promise.all(
        voters.map((as) => api.call('POST', `${t}/access-requests/${request.body.requestId}/approve`, { as, body: {} })),
      );
      const s = await tenantItems(doc, api.stack.tableName, p.tenantId);
      // Assess: one twin's approval and the admin's count; every other twin is a 409 CONFLICT
      const twinAnswers = answers.slice(0, 4);
      expect(twinAnswers.filter((a) => a.status === 200)).toHaveLength(1);
      for (const a of twinAnswers.filter((x) => x.status !== 200)) {
        expect(a.status).toBe(409);
        expect(a.body.code).toBe('CONFLICT');
      }
      if (alsoAdmin) expect(answers.at(-1)!.status).toBe(200);
      const stored = s.requests[0]!;
      const counted = alsoAdmin ? 2 : 1;
      expect(stored.approvals).toHaveLength(counted);
      expect(new Set(stored.approvals.map((a: Item) => a.by.email.toLowerCase())).size).toBe(counted);
      expect(stored.status).toBe(counted >= approvalsRequired ? 'APPROVED' : 'PENDING');
      expect(s.audit.filter((e) => e.action === 'request.approved')).toHaveLength(counted);
      expect(s.grants).toHaveLength(stored.status === 'APPROVED' ? 1 : 0);
      expectConsistent(s, approvalsRequired);
    },
    ROUND_TIMEOUT_MS,
  );
});
