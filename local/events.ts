/**
 * Events on the local stack: the table's stream (DynamoDB Local serves the Streams API) read by a
 * poller that feeds the real publisher handler (`lambdas/jobs/publish.ts`), as Lambda's event
 * source mapping does in AWS, onto an in-memory bus that keeps every event, oldest first, for
 * `GET /_local/events`. A batch the publisher fails is read again from the same position, like
 * the mapping's retry.
 */
import { randomUUID } from 'node:crypto';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { BusEvent, EventBus } from '../lambdas/modules/events/rules.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from './dynamodb.ts';

/** An event as an EventBridge rule's target receives it. */
export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: BusEvent['detail'];
}

export interface LocalBus extends EventBus {
  /** Every event put so far, oldest first. */
  items: DeliveredEvent[];
}

/** The local stand-in for the stack's EventBridge bus: it keeps what is put on it. */
export function createLocalBus(): LocalBus {
  const items: DeliveredEvent[] = [];
  return {
    items,
    async put(events) {
      for (const e of events) {
        items.push({
          version: '0',
          id: randomUUID(),
          'detail-type': e.detailType,
          source: e.source,
          account: '000000000000',
          time: e.time,
          region: LOCAL_REGION,
          resources: [],
          detail: e.detail,
        });
      }
      return { failed: [] };
    },
  };
}

type Handler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

type StreamRecord = DynamoDBStreamEvent['Records'][number];
type Image = NonNullable<NonNullable<StreamRecord['dynamodb']>['NewImage']>;
type Value = Image[string];

/**
 * A record as Lambda hands it to a function. The streams client (3.1141) reads an empty map
 * (`{ "M": {} }`, the `details` of a cancelled request's audit event) as `{}`, which no
 * unmarshaller takes, so the poller would retry that batch for ever and publish nothing after it.
 * Lambda's event JSON keeps `{ "M": {} }`; this puts it back.
 */
function asLambdaRecord(record: StreamRecord): StreamRecord {
  const d = record.dynamodb;
  if (!d) return record;
  return {
    ...record,
    dynamodb: { ...d, Keys: image(d.Keys), NewImage: image(d.NewImage), OldImage: image(d.OldImage) },
  };
}

function image(i: Image | undefined): Image | undefined {
  return i === undefined ? undefined : Object.fromEntries(Object.entries(i).map(([k, v]) => [k, value(v)]));
}

function value(v: Value): Value {
  if (Object.keys(v).length === 0) return { M: {} };
  if (v.M) return { M: image(v.M)! };
  if (v.L) return { L: v.L.map(value) };
  return v;
}

/**
 * Reads the table's stream and hands each batch to `handler`. `poll()` reads everything there is
 * now (runs one at a time; a call during a poll waits for the next one).
 */
export async function createStreamPoller(endpoint: string, tableName: string, handler: Handler) {
  const table = await localDynamoClient(endpoint).send(new DescribeTableCommand({ TableName: tableName }));
  const arn = table.Table?.LatestStreamArn;
  if (!arn) throw new Error(`table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  /**
   * Per shard: where to read next (null: the shard is closed and read to its end), and the last
   * record handed on, to take up from there when DynamoDB Local refuses an iterator.
   */
  const positions = new Map<string, { iterator: string | null; lastSequence?: string }>();
  /** Records made before the stack started are not ours to publish (seconds, as the stream says). */
  const startedAt = Math.floor(Date.now() / 1000);

  const discover = async (type: 'LATEST' | 'TRIM_HORIZON') => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (positions.has(shard.ShardId!)) continue;
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: type }),
      );
      positions.set(shard.ShardId!, { iterator: ShardIterator ?? null });
    }
  };
  /** A fresh iterator: just after `sequence`, or (nothing handed on yet) from the shard's start. */
  const iteratorAfter = async (shardId: string, sequence: string | undefined) => {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand(
        sequence
          ? { StreamArn: arn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: sequence }
          : { StreamArn: arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' },
      ),
    );
    return ShardIterator ?? null;
  };
  // What was in the stream before the stack started was published then (or is not ours to publish).
  await discover('LATEST');

  const readAll = async () => {
    // Shards opened since are read from their start.
    await discover('TRIM_HORIZON');
    for (const [shardId, position] of positions) {
      while (position.iterator) {
        let page;
        try {
          page = await streams.send(new GetRecordsCommand({ ShardIterator: position.iterator }));
        } catch (e) {
          // DynamoDB Local, busy with many tables, sometimes refuses an iterator it gave out as
          // "past the oldest record" (or expired): take up again after the last record handed on.
          if (!(e instanceof Error) || !/TrimmedDataAccess|ExpiredIterator/.test(e.name)) throw e;
          position.iterator = await iteratorAfter(shardId, position.lastSequence);
          continue;
        }
        const Records = ((page.Records ?? []) as DynamoDBStreamEvent['Records'])
          .filter((r) => position.lastSequence !== undefined || (r.dynamodb?.ApproximateCreationDateTime ?? startedAt) >= startedAt)
          .map(asLambdaRecord);
        if (Records.length > 0) {
          const { batchItemFailures } = await handler({ Records });
          // A failed batch is read again from the same place next time (the mapping's retry).
          if (batchItemFailures.length > 0) throw new Error(`the publisher failed ${batchItemFailures.length} record(s); retrying`);
          position.lastSequence = Records[Records.length - 1]!.dynamodb?.SequenceNumber ?? position.lastSequence;
        }
        position.iterator = page.NextShardIterator ?? null;
        if ((page.Records ?? []).length === 0) break;
      }
    }
  };

  let running: Promise<void> | null = null;
  let again = false;
  const poll = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await readAll();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return { poll };
}
