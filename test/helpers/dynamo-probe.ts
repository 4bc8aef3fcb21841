/**
 * SDK middleware for the security tests, added to the DynamoDB client of a test stack through
 * `startTestApi({ onDynamoClient })`:
 * - `KeyLog` records every key a request names (item keys, query key values, PartiQL parameters),
 *   so a test can prove that no key was built from input that validation did not accept;
 * - `Faults` injects the failures that DynamoDB really answers (throttling, a timeout, a cancelled
 *   transaction) on chosen commands, before or after the request reached the table.
 * Data is never mocked: every request that is not failed on purpose goes to DynamoDB Local.
 */
import { ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { attr } from '../../lambdas/contract/table.ts';

type Av = Record<string, unknown>;
const KEY_ATTRS: string[] = [attr.pk, attr.sk, attr.gsi1pk, attr.gsi1sk, attr.gsi2pk, attr.gsi2sk];

/** A string of a marshalled (`{ S: 'x' }`) or plain attribute value. */
function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Av).S === 'string') return (v as Av).S as string;
  return undefined;
}

export interface KeyUse {
  command: string;
  attr: string;
  value: string;
}

/** The key attributes named by one DynamoDB request. */
export function keysOf(command: string, input: Av): KeyUse[] {
  const out: KeyUse[] = [];
  const fromItem = (item: unknown) => {
    if (!item || typeof item !== 'object') return;
    for (const a of KEY_ATTRS) {
      const s = str((item as Av)[a]);
      if (s !== undefined) out.push({ command, attr: a, value: s });
    }
  };
  fromItem(input.Key);
  fromItem(input.Item);
  for (const t of (input.TransactItems as Av[] | undefined) ?? []) {
    for (const op of ['Put', 'Update', 'Delete', 'ConditionCheck', 'Get']) {
      const x = t[op] as Av | undefined;
      if (x) {
        fromItem(x.Key);
        fromItem(x.Item);
      }
    }
  }
  for (const req of Object.values((input.RequestItems as Record<string, Av> | undefined) ?? {})) {
    for (const k of (req.Keys as unknown[] | undefined) ?? []) fromItem(k);
  }
  // A query names its partition (and a sort-key prefix or bound) as expression values.
  if (input.KeyConditionExpression) {
    const names = (input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {};
    const values = (input.ExpressionAttributeValues as Av | undefined) ?? {};
    const expr = String(input.KeyConditionExpression);
    for (const m of expr.matchAll(/(#\w+)\s*(?:=|<|>|<=|>=)\s*(:\w+)|begins_with\(\s*(#\w+)\s*,\s*(:\w+)\s*\)/g)) {
      const name = names[m[1] ?? m[3]!] ?? m[1] ?? m[3]!;
      const s = str(values[m[2] ?? m[4]!]);
      if (s !== undefined) out.push({ command, attr: input.IndexName ? `${String(input.IndexName)}.${name}` : name, value: s });
    }
  }
  // A PartiQL statement: each `?` is the attribute its WHERE clause compares it with
  // (`X IN [?, ?]`, `Y > ?`), on the index the FROM names (`"table"."GSI1"`); PK when unknown.
  const statement = String(input.Statement ?? '');
  const index = /FROM\s+"[^"]+"\."([^"]+)"/i.exec(statement)?.[1];
  const attrs = [...statement.matchAll(/"?(\w+)"?\s*(?:IN\s*\[([?,\s]+)\]|(?:=|<|>|<=|>=)\s*\?)/gi)].flatMap((m) =>
    Array.from({ length: m[2] ? (m[2].match(/\?/g) ?? []).length : 1 }, () => (index ? `${index}.${m[1]}` : m[1]!)),
  );
  ((input.Parameters as unknown[] | undefined) ?? []).forEach((p, i) => {
    const s = str(p);
    if (s !== undefined) out.push({ command, attr: attrs[i] ?? attr.pk, value: s });
  });
  return out;
}

/** Records the keys of every request the client sends, until `take()` empties the log. */
export class KeyLog {
  private uses: KeyUse[] = [];
  readonly attach = (client: DynamoDBClient) => {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        this.uses.push(...keysOf(String(context.commandName), args.input as Av));
        return next(args);
      },
      { step: 'serialize', name: 'securityTestKeyLog', priority: 'high' },
    );
  };
  take(): KeyUse[] {
    const out = this.uses;
    this.uses = [];
    return out;
  }
}

// ---- faults ----------------------------------------------------------------------------------------

const meta = (status: number) => ({ httpStatusCode: status, attempts: 1, totalRetryDelay: 0 });

/** DynamoDB's answer to too many requests (the SDK retries it with backoff). */
export const throttled = () =>
  new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput. (injected)', $metadata: meta(400) });
export const overProvisioned = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded. (injected)',
    $metadata: meta(400),
  });
/** What the SDK's HTTP handler raises when DynamoDB does not answer in time (retried as transient). */
export function timedOut(): Error {
  const e = new Error('Connection timed out after 1000 ms (injected)');
  e.name = 'TimeoutError';
  return e;
}
/**
 * A transaction DynamoDB cancelled: `code` is the reason of its first item (`ThrottlingError`,
 * `TransactionConflict`, `ConditionalCheckFailed`...), the others `None`. The SDK does not retry it.
 */
export const cancelled = (code: string, items = 2) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${[code, ...Array<string>(items - 1).fill('None')].join(', ')}] (injected)`,
    $metadata: meta(400),
    CancellationReasons: [{ Code: code }, ...Array.from({ length: items - 1 }, () => ({ Code: 'None' }))],
  });

export interface FaultRule {
  /** The SDK command name, as `TransactWriteItemsCommand`; every command when absent. */
  command?: string;
  /** Fail only calls whose input matches (e.g. a transaction that ends a grant). */
  when?: (input: Av) => boolean;
  /** Let this many matching calls through first. */
  skip?: number;
  /** How many matching calls to fail after the skipped ones (Infinity: every one). */
  times: number;
  /**
   * `before`: the request never reaches the table, outside the SDK's retries (what the caller sees
   * once the SDK has given up); `attempt`: each attempt fails inside the retry loop (the SDK
   * retries what it deems retryable); `after`: the table applied it but the answer is lost.
   */
  at: 'before' | 'attempt' | 'after';
  error: () => Error;
}

interface Armed extends FaultRule {
  seen: number;
  failed: number;
}

/** Fault injection on a DynamoDB client; `arm` a rule, `clear` them all. */
export class Faults {
  private rules: Armed[] = [];
  /** Every call the client made, with what happened to it. */
  readonly calls: { command: string; failed: boolean; at?: FaultRule['at'] }[] = [];
  /** Calls the client has started and not yet seen answered (or fail). */
  inFlight = 0;

  readonly attach = (client: DynamoDBClient) => {
    const pick = (at: FaultRule['at'], command: string, input: Av) => {
      for (const r of this.rules) {
        if (r.at !== at || (r.command && r.command !== command) || (r.when && !r.when(input))) continue;
        r.seen++;
        if (r.seen > (r.skip ?? 0) && r.failed < r.times) {
          r.failed++;
          return r;
        }
      }
      return undefined;
    };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName);
        const rule = pick('before', command, args.input as Av);
        this.calls.push({ command, failed: rule !== undefined, ...(rule ? { at: rule.at } : {}) });
        if (rule) throw rule.error();
        this.inFlight++;
        try {
          return await next(args);
        } finally {
          this.inFlight--;
        }
      },
      { step: 'initialize', name: 'securityTestFaultsBefore', priority: 'high' },
    );
    // After the retry middleware (finalizeRequest), so the SDK sees each failed attempt.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName);
        const input = (context as { securityTestInput?: Av }).securityTestInput ?? {};
        const attempt = pick('attempt', command, input);
        if (attempt) throw attempt.error();
        const out = await next(args);
        const after = pick('after', command, input);
        if (after) throw after.error();
        return out;
      },
      { step: 'deserialize', name: 'securityTestFaultsAttempt', priority: 'high' },
    );
    // The input as the command was given (the deserialize step only sees the HTTP request).
    client.middlewareStack.add(
      (next, context) => async (args) => {
        (context as { securityTestInput?: Av }).securityTestInput = args.input as Av;
        return next(args);
      },
      { step: 'serialize', name: 'securityTestFaultsInput', priority: 'high' },
    );
  };

  arm(rule: FaultRule): Armed {
    const armed = { ...rule, seen: 0, failed: 0 };
    this.rules.push(armed);
    return armed;
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * Resolves once the client's work has settled: no call in flight, and none started while the
   * event loop went round a few times (a job's shards go on after its first failure). Waits on
   * the calls themselves, so a slow DynamoDB Local on a busy machine only makes it wait longer.
   */
  async settled(): Promise<void> {
    for (;;) {
      while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      const seen = this.calls.length;
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
      if (this.inFlight === 0 && this.calls.length === seen) return;
    }
  }
}

/** Every item of a table (a test file's own table is small), sorted by key. */
export async function scanTable(doc: DynamoDBDocumentClient, TableName: string): Promise<Av[]> {
  const items: Av[] = [];
  let start: Av | undefined;
  do {
    const res = await doc.send(new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  const k = (i: Av) => `${String(i[attr.pk])}\u0000${String(i[attr.sk])}`;
  return items.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
