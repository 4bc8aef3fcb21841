/** Authorized contacts and the tenant's policy. */
import { DEFAULT_POLICY, type Contact, type Policy } from '../contract/schemas.ts';
import { actorOf, auditEvent, iso } from './model.ts';
import type { Deps, Principal } from './ports.ts';

/** The tenant's authorized contacts, by email. */
export async function listContacts({ store }: Deps, tenantId: string): Promise<Contact[]> {
  return store.listContacts(tenantId);
}

/**
 * Adds an authorized contact, or renames one.
 * 1. Build the contact stamped now, by the caller.
 * 2. Create it, or update its name when it exists (its `addedAt`/`addedBy` stay).
 * 3. Audit `contact.added` in the same transaction.
 */
export async function putContact(
  { store, clock, ids }: Deps,
  caller: Principal,
  tenantId: string,
  email: string,
  name: string,
): Promise<{ created: boolean; contact: Contact }> {
  const now = clock.now();
  const contact: Contact = { email, name, addedAt: iso(now), addedBy: actorOf(caller) };
  const audit = auditEvent(ids, now, actorOf(caller), 'contact.added', email, { email, name });
  return store.putContact(tenantId, contact, { audit: [audit], outbox: [] });
}

/** Removes an authorized contact; `NotFoundError` when there is none by that email. */
export async function deleteContact({ store, clock, ids }: Deps, caller: Principal, tenantId: string, email: string) {
  const audit = auditEvent(ids, clock.now(), actorOf(caller), 'contact.removed', email, { email });
  await store.deleteContact(tenantId, email, { audit: [audit], outbox: [] });
}

/** The tenant's policy; the defaults until an admin sets one. */
export async function getPolicy({ store }: Deps, tenantId: string): Promise<Policy> {
  return (await store.getPolicy(tenantId)) ?? DEFAULT_POLICY;
}

/** Replaces the policy (a whole policy, validated by the caller) and audits the change. */
export async function putPolicy({ store, clock, ids }: Deps, caller: Principal, tenantId: string, policy: Policy) {
  const previous = await getPolicy({ store, clock, ids }, tenantId);
  const audit = auditEvent(ids, clock.now(), actorOf(caller), 'policy.updated', tenantId, { previous, policy });
  await store.putPolicy(tenantId, policy, { audit: [audit], outbox: [] });
  return policy;
}
