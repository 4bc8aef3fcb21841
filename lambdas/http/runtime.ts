/**
 * What every function shares, created once per container at module load: the environment (read
 * once, failing fast), the DynamoDB client, the store, the clock and the id source.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { Clock, Deps, Ids } from '../domain/ports.ts';
import { createDynamoStore } from '../store/dynamo-store.ts';

/** Reads a required environment variable; a missing one stops the function at load. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

export const systemClock: Clock = { now: () => new Date() };

/** ULIDs stamped with the clock's time, so ids sort like the clock the domain sees. */
export function ulidIds(clock: Clock): Ids {
  const next = monotonicFactory();
  return { next: () => next(clock.now().getTime()) };
}

export function documentClient(endpoint = process.env.DYNAMODB_ENDPOINT): DynamoDBDocumentClient {
  const client = new DynamoDBClient(endpoint ? { endpoint } : {});
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export interface Runtime extends Deps {
  store: ReturnType<typeof createDynamoStore>;
  cursorSecret: string;
}

let runtime: Runtime | undefined;

/** The shared dependencies, built on first use from the environment. */
export function getRuntime(): Runtime {
  if (!runtime) {
    const clock = systemClock;
    runtime = {
      store: createDynamoStore({ doc: documentClient(), tableName: requiredEnv('TABLE_NAME') }),
      clock,
      ids: ulidIds(clock),
      cursorSecret: requiredEnv('CURSOR_SECRET'),
    };
  }
  return runtime;
}

/**
 * Replaces the shared dependencies. The local stack uses it to give handlers its movable clock;
 * tests use it to point handlers at their own table.
 */
export function setRuntime(next: Runtime): void {
  runtime = next;
}
