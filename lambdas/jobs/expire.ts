/**
 * The scheduled job (EventBridge, every minute): expire what is due, then deliver the mail that is
 * due (retries whose backoff has passed, and anything the stream consumer missed).
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { drainOutbox } from '../domain/delivery.ts';
import { runExpiry } from '../domain/expiry.ts';
import { getRuntime } from '../http/runtime.ts';
import { deliveryDeps } from './runtime.ts';

/** Leave this much of the function's time for the mail drain and a clean finish. */
const RESERVE_MS = 60_000;

export const handler = middy<ScheduledEvent>({ timeoutEarlyInMillis: 0 }).handler(async (_event, context) => {
  const expiry = await runExpiry(getRuntime(), () => context.getRemainingTimeInMillis() > RESERVE_MS);
  const mail = await drainOutbox(deliveryDeps());
  const report = { expiry, mail };
  console.log(JSON.stringify({ level: 'INFO', message: 'expiry run', ...report }));
  return report;
});
