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

export const handler = middy<ScheduledEvent>({ timeoutEarlyInMillis: 0 }).handler(async () => {
  const expiry = await runExpiry(getRuntime());
  const mail = await drainOutbox(deliveryDeps());
  const report = { expiry, mail };
  console.log(JSON.stringify({ level: 'INFO', message: 'expiry run', ...report }));
  return report;
});
