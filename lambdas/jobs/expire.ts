/**
 * The scheduled job (EventBridge, every minute): expire the grants and requests that are due.
 * The mail an expiry owes is in the outbox of its transaction; the notifier delivers it.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { runExpiry } from '../domain/expiry.ts';
import { getRuntime } from '../http/runtime.ts';

/** Stop taking new work this long before the function's timeout, so a run always ends cleanly. */
const RESERVE_MS = 60_000;

export const handler = middy<ScheduledEvent>({ timeoutEarlyInMillis: 0 }).handler(async (_event, context) => {
  const expiry = await runExpiry(getRuntime(), () => context.getRemainingTimeInMillis() > RESERVE_MS);
  const report = { expiry };
  console.log(JSON.stringify({ level: 'INFO', message: 'expiry run', ...report }));
  return report;
});
