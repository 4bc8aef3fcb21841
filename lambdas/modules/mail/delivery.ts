/** Delivery of the outbox: each message sent once, retried with backoff, kept when it fails. */
import { DUE_SHARDS } from '../../contract/table.ts';
import { type Links, renderMail } from './templates.ts';
import { iso } from '../../kernel/model.ts';
import { type Contact, DEFAULT_POLICY, type Policy } from '../../contract/schemas.ts';
import type { Clock, Mailer, OutboxMessage, OutboxStore, Store } from '../../kernel/ports.ts';

/** Tries before a message is kept as FAILED (the dead letter), and the first backoff. */
export const MAX_TRIES = 5;
export const FIRST_BACKOFF_SECONDS = 30;
/** How long a sender holds a message; a crashed sender's claim lapses after it. */
export const LEASE_SECONDS = 120;
/** Sent messages are forgotten (DynamoDB TTL) after this. */
export const SENT_RETENTION_DAYS = 30;

export interface DeliveryDeps {
  store: Store;
  outbox: OutboxStore;
  mailer: Mailer;
  clock: Clock;
  links: Links;
}

export type DeliveryResult = 'sent' | 'retry' | 'failed' | 'skipped';

/** Seconds to wait after the n-th failed try: 30 s, 1 min, 2 min, 4 min... */
export const backoffSeconds = (tries: number) => FIRST_BACKOFF_SECONDS * 2 ** (tries - 1);

/**
 * Delivers one message.
 * 1. Claim it (PENDING → SENDING, conditional): a message that another sender holds, or that is
 *    already sent, is skipped, so a retried or duplicated delivery never sends twice.
 * 2. Address it: its own recipients, or the tenant's authorized contacts now; nobody for a
 *    sign-in when the tenant's policy has `notifyOnSignIn` off.
 * 3. Send to each recipient not yet served, recording each; when all got it mark it SENT. On failure record the error and, before the last try, put it
 *    back in line after a backoff; after the last, keep it as FAILED with the error (re-drivable).
 */
export async function deliver(deps: DeliveryDeps, messageId: string): Promise<DeliveryResult> {
  const now = deps.clock.now();
  const claimed = await deps.outbox.claimOutbox(messageId, iso(now), iso(new Date(now.getTime() + LEASE_SECONDS * 1000)));
  if (!claimed) return 'skipped';
  try {
    const policy = (await deps.store.getPolicy(claimed.tenantId)) ?? DEFAULT_POLICY;
    const to = wanted(policy, claimed) ? (claimed.to ?? recipients(await deps.store.listContacts(claimed.tenantId), claimed.toTier)) : [];
    const mail = renderMail(claimed, deps.links, { timeZone: policy.timeZone });
    // One email per recipient: nobody sees the others' addresses, and a retry after a partial
    // failure sends only to those who did not get it yet.
    for (const recipient of to.filter((r) => !claimed.sentTo.includes(r))) {
      await deps.mailer.send({ to: [recipient], ...mail });
      await deps.outbox.markRecipientSent(messageId, recipient);
    }
    const ttl = Math.floor(now.getTime() / 1000) + SENT_RETENTION_DAYS * 86_400;
    await deps.outbox.markSent(messageId, iso(deps.clock.now()), ttl);
    return 'sent';
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const last = claimed.attempts >= MAX_TRIES;
    const next = last ? null : iso(new Date(deps.clock.now().getTime() + backoffSeconds(claimed.attempts) * 1000));
    await deps.outbox.markFailed(messageId, error, next);
    return last ? 'failed' : 'retry';
  }
}

/** Sign-in mail goes out only where the tenant's policy asks for it (`notifyOnSignIn`). */
function wanted(policy: Policy, m: OutboxMessage): boolean {
  return m.kind !== 'session.started' || policy.notifyOnSignIn;
}

/**
 * The contacts a message is for: `primary` the primary ones (every contact when none is primary,
 * so a request is never asked of nobody), `backup` the backup ones, else all of them.
 */
export function recipients(contacts: Contact[], tier: OutboxMessage['toTier']): string[] {
  if (tier === 'backup') return contacts.filter((c) => c.tier === 'backup').map((c) => c.email);
  if (tier === 'primary') {
    const primary = contacts.filter((c) => c.tier !== 'backup');
    return (primary.length ? primary : contacts).map((c) => c.email);
  }
  return contacts.map((c) => c.email);
}

export interface DrainReport {
  sent: number;
  retry: number;
  failed: number;
  skipped: number;
}

/** Delivers every message that is due now (new ones and retries whose backoff has passed). */
export async function drainOutbox(deps: DeliveryDeps, limitPerShard = 100): Promise<DrainReport> {
  const report: DrainReport = { sent: 0, retry: 0, failed: 0, skipped: 0 };
  const now = iso(deps.clock.now());
  await Promise.all(
    Array.from({ length: DUE_SHARDS }, async (_, shard) => {
      for (const id of await deps.outbox.dueOutbox(shard, now, limitPerShard)) {
        report[await deliver(deps, id)]++;
      }
    }),
  );
  return report;
}
