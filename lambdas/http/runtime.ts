/**
 * What every function shares, created once per container at module load: the environment (read
 * once, failing fast), the DynamoDB client, the store, the clock and the id source.
 */
import { randomFillSync } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { parseSupportEmailDomains } from '../domain/identity.ts';
import type { Clock, Deps, Ids } from '../domain/ports.ts';
import { createDynamoStore } from '../store/dynamo-store.ts';

/** Reads a required environment variable; a missing one stops the function at load. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

export const systemClock: Clock = { now: () => new Date() };

const pool = new Uint8Array(4096);
let poolAt = pool.length;

/**
 * A uniform number in [0, 1) from a pool of cryptographic random bytes, for ULIDs. ulid's own
 * source asks crypto for one byte per character: 16 calls, about 50 µs, per new id
 * (docs/performance.md). A byte ÷ 256 keeps every ULID character uniform (32 divides 256).
 */
export function pooledRandom(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

/** ULIDs stamped with the clock's time, so ids sort like the clock the domain sees. */
export function ulidIds(clock: Clock): Ids {
  const next = monotonicFactory(pooledRandom);
  return { next: () => next(clock.now().getTime()) };
}

/**
 * The document client every part of the project uses (functions, the local stack, tests, the
 * benchmark), so items are marshalled one way everywhere.
 */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export interface Runtime extends Deps {
  store: ReturnType<typeof createDynamoStore>;
  cursorSecret: string;
  /** The HMAC key of the audit hash chain; empty until `auditKey()` has read it. */
  auditKey?: string;
  /** The key of the audit events' write-time MACs; empty until `eventKey()` has read it. */
  eventKey?: string;
}

let runtime: Runtime | undefined;
let supportEmailDomains: readonly string[] | undefined;

/** The shared dependencies, built on first use from the environment. */
export function getRuntime(): Runtime {
  if (!runtime) {
    const clock = systemClock;
    runtime = {
      // Every audit event written gets its MAC under the event key, read once per container.
      store: createDynamoStore({ doc: documentClient(), tableName: requiredEnv('TABLE_NAME'), eventKey: () => eventKey(runtime!) }),
      clock,
      ids: ulidIds(clock),
      // Who may be named on a grant: comma-separated domains (`vendor.test,vendor.com`). Read when
      // first needed: only the API functions have it; the jobs name no grantee and never read it.
      get supportEmailDomains() {
        supportEmailDomains ??= parseSupportEmailDomains(requiredEnv('SUPPORT_EMAIL_DOMAINS'));
        return supportEmailDomains;
      },
      // Deployed functions get CURSOR_SECRET_ARN instead; `cursorSecret()` resolves it once.
      cursorSecret: process.env.CURSOR_SECRET ?? '',
      // Likewise AUDIT_KEY_SECRET_ARN, resolved by `auditKey()`.
      auditKey: process.env.AUDIT_KEY ?? '',
      // Likewise EVENT_KEY_SECRET_ARN, resolved by `eventKey()`.
      eventKey: process.env.EVENT_KEY ?? '',
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

const secretFetches = new Map<string, Promise<string>>();

/**
 * A Secrets Manager secret, read once per container through the Parameters and Secrets Lambda
 * Extension (no SDK client in the bundle). A failed read is retried by the next call.
 */
function secretFromExtension(arn: string, what: string): Promise<string> {
  let fetching = secretFetches.get(arn);
  if (!fetching) {
    fetching = (async () => {
      const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
      const res = await fetch(`http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`, {
        headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
      });
      if (!res.ok) throw new Error(`reading the ${what} failed: HTTP ${res.status}`);
      const { SecretString } = (await res.json()) as { SecretString?: string };
      if (!SecretString) throw new Error(`the ${what} is empty`);
      return SecretString;
    })().catch((e: unknown) => {
      secretFetches.delete(arn);
      throw e;
    });
    secretFetches.set(arn, fetching);
  }
  return fetching;
}

/** The key that signs list cursors: `CURSOR_SECRET`, or the secret named by `CURSOR_SECRET_ARN`. */
export async function cursorSecret(runtime: Runtime): Promise<string> {
  if (runtime.cursorSecret) return runtime.cursorSecret;
  runtime.cursorSecret = await secretFromExtension(requiredEnv('CURSOR_SECRET_ARN'), 'cursor secret');
  return runtime.cursorSecret;
}

/** The HMAC key of the audit hash chain: `AUDIT_KEY`, or the secret named by `AUDIT_KEY_SECRET_ARN`. */
export async function auditKey(runtime: Runtime): Promise<string> {
  if (runtime.auditKey) return runtime.auditKey;
  runtime.auditKey = await secretFromExtension(requiredEnv('AUDIT_KEY_SECRET_ARN'), 'audit chain key');
  return runtime.auditKey;
}

/**
 * The key of the audit events' write-time MACs: `EVENT_KEY`, or the secret named by
 * `EVENT_KEY_SECRET_ARN`. Every function that writes audit events, and the verifier, needs it.
 */
export async function eventKey(runtime: Runtime): Promise<string> {
  if (runtime.eventKey) return runtime.eventKey;
  runtime.eventKey = await secretFromExtension(requiredEnv('EVENT_KEY_SECRET_ARN'), 'audit event key');
  return runtime.eventKey;
}
