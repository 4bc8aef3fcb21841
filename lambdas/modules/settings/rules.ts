/** Authorized contacts and the tenant's policy. */
import { DEFAULT_POLICY, type Contact, type ContactTier, type Policy } from '../../contract/schemas.ts';
import { actorOf, auditEvent, iso } from '../../kernel/model.ts';
import type { Deps, Principal } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';

/** The tenant's authorized contacts, by email. */
export async function listContacts({ store }: Deps, tenantId: string): Promise<Contact[]> {
  return store.listContacts(tenantId);
}

/**
 * Adds an authorized contact, or renames one.
 * 1. Read the contact. None: add it, stamped now, by the caller. One: rename it (its
 *    `addedAt`/`addedBy` stay).
 *    The same name again is a no-op.
 * 2. Audit `contact.added` (with `renamed` and `previousName` for a rename) in the same
 *    transaction, conditioned on what was read; a lost race reads again.
 */
export async function putContact(
  { store, clock, ids }: Deps,
  caller: Principal,
  tenantId: string,
  email: string,
  name: string,
  tier?: ContactTier,
): Promise<{ created: boolean; contact: Contact }> {
  return retrying(async () => {
    const now = clock.now();
    const existing = await store.getContact(tenantId, email);
    // An omitted tier keeps the one on file (primary for a new contact).
    const wanted = tier ?? existing?.tier ?? 'primary';
    // Putting what is already there changes nothing, so there is nothing to write or audit.
    if (existing?.name === name && existing.tier === wanted) return { created: false, contact: existing };
    const contact: Contact = existing
      ? { ...existing, name, tier: wanted }
      : { email, name, tier: wanted, addedAt: iso(now), addedBy: actorOf(caller) };
    const details = existing
      ? {
          email,
          name,
          tier: wanted,
          ...(existing.name !== name ? { renamed: true, previousName: existing.name } : {}),
          ...(existing.tier !== wanted ? { previousTier: existing.tier } : {}),
        }
      : { email, name, tier: wanted };
    const audit = auditEvent(ids, now, actorOf(caller), 'contact.added', email, details);
    await store.saveContact(tenantId, contact, existing, { audit: [audit], outbox: [] });
    return { created: existing === null, contact };
  });
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
