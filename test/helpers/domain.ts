/**
 * Fixtures for the tests that drive the modules' rules over their real store: a fresh table in the
 * run's DynamoDB Local for each `testDeps()`, a still clock, time-ordered ids, the people of a
 * tenant and of support, and a tenant with its authorized contacts on file.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { AuditEvent, Policy } from '../../lambdas/contract/schemas.ts';
import { attr } from '../../lambdas/contract/table.ts';
import type { Role } from '../../lambdas/contract/routes.ts';
import type { AccessEntry, Deps, OutboxRecord, Principal } from '../../lambdas/kernel/ports.ts';
import { type Item, parseAudit, parseOutbox, strip } from '../../lambdas/kernel/store/items.ts';
import { parseEntry } from '../../lambdas/modules/grants/entity.ts';
import { putContact, putPolicy } from '../../lambdas/modules/settings/rules.ts';
import { createDynamoStore, type DynamoStore } from '../../lambdas/runtime/dynamo-store.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { ensureTable, localDynamoClient } from '../../local/dynamodb.ts';
import { FakeClock, fakeIds } from './clock.ts';
import { freshTableName } from './http.ts';
import { TEST_POLICY } from './people.ts';

export { FakeClock, fakeIds };

/** The store over the test's table, with what a test reads back from the table itself. */
export interface TestStore extends DynamoStore {
  /** Every audit event of a tenant, oldest first. */
  auditOf(tenantId: string): Promise<AuditEvent[]>;
  /** Every outbox message (any status), oldest first. */
  outboxOf(tenantId?: string): Promise<OutboxRecord[]>;
  /** The access entries of a grant (one per principal while it is live). */
  entriesOf(tenantId: string, grantId: string): Promise<AccessEntry[]>;
  /** Whether a grant or request carries keys of the sparse due-at index (GSI2 `EXPIRY#n`). */
  isDue(kind: 'grant' | 'request', tenantId: string, id: string): Promise<boolean>;
}

export interface TestDeps extends Deps {
  store: TestStore;
  clock: FakeClock;
  tableName: string;
}

/** The support email domain of the tests' deployment (support people's emails are in it). */
export const SUPPORT_DOMAIN = 'vendor.test';

/** Fresh deps: an empty table, a clock at 2026-11-23T14:00:00.000Z, ids from that clock. */
export async function testDeps(start = '2026-11-23T14:00:00.000Z'): Promise<TestDeps> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = freshTableName();
  await ensureTable(endpoint, tableName);
  const doc = documentClient(localDynamoClient(endpoint));
  const clock = new FakeClock(start);
  const items = async (): Promise<Item[]> => {
    const out: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      out.push(...((res.Items ?? []) as Item[]));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  };
  const ofType = async (type: string) => (await items()).filter((i) => i[attr.type] === type);
  const byId = (key: string) => (a: Item, b: Item) => (String(a[key]) < String(b[key]) ? -1 : 1);
  const store: TestStore = {
    ...createDynamoStore({ doc, tableName }),
    async auditOf(tenantId) {
      return (await ofType('audit'))
        .filter((i) => i.tenantId === tenantId)
        .sort(byId('eventId'))
        .map((i) => parseAudit(strip(i)));
    },
    async outboxOf(tenantId) {
      return (await ofType('outbox'))
        .filter((i) => tenantId === undefined || i.tenantId === tenantId)
        .sort(byId('messageId'))
        .map(parseOutbox);
    },
    async entriesOf(tenantId, grantId) {
      return (await ofType('access')).filter((i) => i.tenantId === tenantId && i.grantId === grantId).map((i) => parseEntry(strip(i)));
    },
    async isDue(kind, tenantId, id) {
      const item = (await ofType(kind)).find((i) => i.tenantId === tenantId && i[kind === 'grant' ? 'grantId' : 'requestId'] === id);
      return String(item?.[attr.gsi2pk] ?? '').startsWith('EXPIRY#');
    },
  };
  return { store, clock, ids: fakeIds(clock), supportEmailDomains: [SUPPORT_DOMAIN], tableName };
}
/** A person with a verified email: `<id>@vendor.test` for support staff, `<id>@example.com` otherwise. */
export function person(id: string, roles: Role[], tenantId: string | null = null): Principal {
  const support = roles.some((r) => r === 'support-agent' || r === 'support-lead');
  return {
    id,
    email: `${id}@${support ? SUPPORT_DOMAIN : 'example.com'}`,
    emailVerified: true,
    name: id.replace(/(^|-)(\w)/g, (_, s: string, c: string) => `${s ? ' ' : ''}${c.toUpperCase()}`),
    roles,
    tenantId,
  };
}

export interface Tenant {
  tenantId: string;
  /** tenant-admin, also an authorized contact. */
  admin: Principal;
  /** tenant-user on the contact list. */
  contact: Principal;
  /** A second tenant-user on the contact list. */
  contact2: Principal;
  /** tenant-user who is not a contact. */
  user: Principal;
  agent: Principal;
  agent2: Principal;
  lead: Principal;
}

/** A tenant with the people around it; contacts are on file unless `contacts: false`. */
export async function setupTenant(
  deps: TestDeps,
  opts: { tenantId?: string; contacts?: boolean; policy?: Partial<Policy> } = {},
): Promise<Tenant> {
  const tenantId = opts.tenantId ?? 'acme';
  const t: Tenant = {
    tenantId,
    admin: person(`${tenantId}-admin`, ['tenant-admin'], tenantId),
    contact: person(`${tenantId}-carol`, ['tenant-user'], tenantId),
    contact2: person(`${tenantId}-dave`, ['tenant-user'], tenantId),
    user: person(`${tenantId}-uma`, ['tenant-user'], tenantId),
    agent: person('agent-ann', ['support-agent']),
    agent2: person('agent-bob', ['support-agent']),
    lead: person('lead-lee', ['support-lead']),
  };
  if (opts.contacts !== false) {
    for (const p of [t.admin, t.contact, t.contact2]) await putContact(deps, t.admin, tenantId, p.email, p.name);
  }
  if (opts.policy) {
    const policy: Policy = { ...TEST_POLICY, allowUpfrontApproval: true, ...opts.policy };
    await putPolicy(deps, t.admin, tenantId, policy);
  }
  return t;
}

export const HOUR = 3_600_000;

/**
 * A call the test awaits later (to assert it, after starting others): its rejection is handled
 * from the start, so it is not reported as unhandled while the test awaits another call, and the
 * test still asserts it when it awaits it (the promise is returned as it is).
 */
export function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
