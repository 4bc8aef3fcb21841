/**
 * The scheduled job (EventBridge, every minute):
 * 1. expire the grants and requests that are due (the mail an expiry owes is in the outbox of its
 *    transaction; the notifier delivers it);
 * 2. seal the audit events written since the last run into their tenants' hash chains, and log the
 *    new chain heads (a copy outside the table, which is what reveals a truncated chain);
 * 3. verify the tenants sealed (and those still behind) from their checkpoints, for at most
 *    `WATCH_BUDGET_MS`, and report those with problems (`audit.verify` in the report).
 */
import type { ScheduledEvent } from 'aws-lambda';
import { sealAuditTrail } from '../modules/audit/chain.ts';
import { WATCH_BUDGET_MS, watchAuditTrails } from '../modules/audit/watch.ts';
import { runExpiry } from '../modules/expiry/rules.ts';
import { type DepsSource, lambdaDeps, observedJob } from '../runtime/index.ts';
import { countExpiryRun } from './figures.ts';

/** Stop taking new work this long before the function's timeout, so a run always ends cleanly. */
const RESERVE_MS = 60_000;

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) =>
  observedJob<ScheduledEvent>(() => deps().telemetry).handler(async (_event, context) => {
    const runtime = deps();
    const keepGoing = () => context.getRemainingTimeInMillis() > RESERVE_MS;
    const expiry = await runExpiry(runtime, keepGoing);
    const chain = { chain: runtime.store, clock: runtime.clock, key: await runtime.secrets.auditKey() };
    const { heads, ...sealed } = await sealAuditTrail(chain, keepGoing);
    const until = Date.now() + WATCH_BUDGET_MS;
    const verify = await watchAuditTrails(
      { ...chain, eventKey: await runtime.secrets.eventKey() },
      () => keepGoing() && Date.now() < until,
    );
    const audit = { ...sealed, verify };
    const report = { expiry, audit };
    runtime.telemetry.log.info('expiry run', report);
    for (const head of heads) runtime.telemetry.log.info('audit chain head', head);
    countExpiryRun(runtime.telemetry, expiry, audit);
    return report;
  });

export const handler = createHandler(lambdaDeps());
