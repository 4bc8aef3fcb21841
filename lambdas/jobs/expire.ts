/**
 * The scheduled job (EventBridge, every minute):
 * 1. expire the grants and requests that are due (the mail an expiry owes is in the outbox of its
 *    transaction; the notifier delivers it);
 * 2. seal the audit events written since the last run into their tenants' hash chains, and log the
 *    new chain heads (a copy outside the table, which is what reveals a truncated chain).
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { sealAuditTrail } from '../domain/audit-chain.ts';
import { runExpiry } from '../domain/expiry.ts';
import { auditKey, getRuntime } from '../http/runtime.ts';

/** Stop taking new work this long before the function's timeout, so a run always ends cleanly. */
const RESERVE_MS = 60_000;

export const handler = middy<ScheduledEvent>({ timeoutEarlyInMillis: 0 }).handler(async (_event, context) => {
  const runtime = getRuntime();
  const keepGoing = () => context.getRemainingTimeInMillis() > RESERVE_MS;
  const expiry = await runExpiry(runtime, keepGoing);
  const { heads, ...audit } = await sealAuditTrail({ chain: runtime.store, clock: runtime.clock, key: await auditKey(runtime) }, keepGoing);
  const report = { expiry, audit };
  console.log(JSON.stringify({ level: 'INFO', message: 'expiry run', ...report }));
  for (const head of heads) console.log(JSON.stringify({ level: 'INFO', message: 'audit chain head', ...head }));
  return report;
});
