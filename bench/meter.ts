/**
 * A DynamoDB client that counts what it sends: requests by command, and (when asked) the consumed
 * capacity that DynamoDB (Local, too) returns once `ReturnConsumedCapacity: 'TOTAL'` is set on
 * every command that accepts it. Both are middleware on the client's own stack, so the document
 * client built over it, the store and the Lambda handlers are measured without being touched.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../lambdas/runtime/index.ts';
import { withoutSdkLogging } from '../lambdas/runtime/sdk.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamodb.ts';

/** The commands whose input takes `ReturnConsumedCapacity`. */
const WITH_CAPACITY = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

/** The commands that read; every other metered command writes. */
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems', 'ExecuteStatement', 'BatchExecuteStatement']);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export class Meter {
  /** Requests sent, by command name (without the `Command` suffix). */
  readonly requests = new Map<string, number>();
  /** Capacity units DynamoDB reported, by command name. */
  readonly capacity = new Map<string, number>();
  /** Items the `Query` requests evaluated (`ScannedCount`): what a query reads, not just returns. */
  queryScanned = 0;
  /** The same, by index name (`table` for the table itself). */
  readonly queryScannedBy = new Map<string, number>();
  /** SDK retries (DynamoDB Local answers a busy lock with a retryable 500 that real DynamoDB would not). */
  retries = 0;
  /** Read and write units, split as DynamoDB reports them (or by command when it gives only a total). */
  readUnits = 0;
  writeUnits = 0;
  /** Set `ReturnConsumedCapacity: 'TOTAL'` on every command that takes it. */
  returnCapacity = false;
  /**
   * Milliseconds in which at least one request was in the SDK (sent, not yet answered): a call's
   * own DynamoDB time, so that what the adapter and handler add is its latency minus this.
   */
  busyMs = 0;
  private inFlight = 0;
  private busySince = 0;

  reset(): void {
    this.requests.clear();
    this.capacity.clear();
    this.queryScanned = 0;
    this.queryScannedBy.clear();
    this.retries = 0;
    this.readUnits = 0;
    this.writeUnits = 0;
  }

  /** A request entered the SDK. */
  enter(): void {
    if (this.inFlight++ === 0) this.busySince = performance.now();
  }

  /** A request left the SDK (answered or failed). */
  leave(): void {
    if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince;
  }

  get totalRequests(): number {
    return [...this.requests.values()].reduce((a, b) => a + b, 0);
  }

  get totalCapacity(): number {
    return [...this.capacity.values()].reduce((a, b) => a + b, 0);
  }

  /** `Query 16, TransactWriteItems 100`, in a stable order. */
  describeRequests(): string {
    return (
      [...this.requests.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    );
  }

  describeCapacity(): string {
    return (
      [...this.capacity.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${+v.toFixed(1)}`)
        .join(', ') || 'none'
    );
  }

  count(command: string, n = 1): void {
    this.requests.set(command, (this.requests.get(command) ?? 0) + n);
  }

  addCapacity(command: string, consumed: Capacity | Capacity[] | undefined): void {
    const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
    const units = list.reduce((a, c) => a + (c.CapacityUnits ?? 0), 0);
    if (list.length) this.capacity.set(command, (this.capacity.get(command) ?? 0) + units);
    for (const c of list) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        this.readUnits += c.ReadCapacityUnits ?? 0;
        this.writeUnits += c.WriteCapacityUnits ?? 0;
      } else if (READS.has(command)) this.readUnits += c.CapacityUnits ?? 0;
      else this.writeUnits += c.CapacityUnits ?? 0;
    }
  }
}

export interface MeteredClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  meter: Meter;
  destroy(): void;
}

/** A client for `endpoint` (DynamoDB Local) with the meter on its middleware stack. */
export function meteredClients(endpoint: string): MeteredClients {
  const meter = new Meter();
  // Without the SDK's logger middleware, as the functions' own client (`dynamoClient`): the handler
  // CPU that table 1 measures is the deployed stack's.
  const client = withoutSdkLogging(
    new DynamoDBClient({
      endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000 },
      // DynamoDB Local times out busy transaction locks with a retryable 500; give it room to retry.
      maxAttempts: 8,
    }),
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      meter.count(command);
      const input = args.input as Record<string, unknown>;
      if (meter.returnCapacity && WITH_CAPACITY.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
      meter.enter();
      let result;
      try {
        result = await next(args);
      } finally {
        meter.leave();
      }
      const output = result.output as {
        ConsumedCapacity?: Capacity | Capacity[];
        ScannedCount?: number;
        $metadata?: { attempts?: number };
      };
      meter.retries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1);
      if (meter.returnCapacity) meter.addCapacity(command, output.ConsumedCapacity);
      if (command === 'Query') {
        meter.queryScanned += output.ScannedCount ?? 0;
        const where = typeof input.IndexName === 'string' ? input.IndexName : 'table';
        meter.queryScannedBy.set(where, (meter.queryScannedBy.get(where) ?? 0) + (output.ScannedCount ?? 0));
      }
      return result;
    },
    { step: 'initialize', name: 'benchMeter', priority: 'high' },
  );
  // The same options as the Lambda runtime's document client (`lambdas/runtime/index.ts`).
  const doc = documentClient(client);
  return { client, doc, meter, destroy: () => client.destroy() };
}
