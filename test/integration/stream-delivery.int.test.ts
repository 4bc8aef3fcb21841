/**
 * The AWS delivery path, for real: the table's stream (DynamoDB Local serves the Streams API)
 * feeds the stream Lambda handler, which sends through the local SES server. Only the new outbox
 * items are mailed, once each, however often the stream delivers them.
 */
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/jobs/deliver.ts';
import { lambdaContext } from '../../local/server.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
let deliverHandler: ReturnType<typeof createHandler>;
beforeAll(async () => {
  api = await startTestApi({ tableStream: true });
  // The notifier's Lambda handler over the stack's table and SES, as deployed over AWS's.
  deliverHandler = createHandler(() => api.stack.runtime);
});
afterAll(async () => api?.stop());

/** Every record the table's stream holds now, as Lambda's event source mapping would pass them. */
async function streamEvent(): Promise<DynamoDBStreamEvent> {
  const endpoint = api.stack.dynamoEndpoint;
  const table = await localDynamoClient(endpoint).send(new DescribeTableCommand({ TableName: api.stack.tableName }));
  const streams = new DynamoDBStreamsClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const arn = table.Table!.LatestStreamArn!;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  const Records: DynamoDBStreamEvent['Records'] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (ShardIterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
      Records.push(...((page.Records ?? []) as DynamoDBStreamEvent['Records']));
      if (!page.Records?.length) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return { Records };
}

describe('the stream consumer (deliver Lambda)', () => {
  it('mails every new outbox item once, and nothing for other items or a redelivered batch', async () => {
    // Prepare: a change that owes mail, among many that write other items
    const p = await setupTenant(api);
    const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { ticketId: 'T-77', reason: 'stream check', scope: { level: 'read-only' }, durationHours: 1 },
    });
    expect(g.status).toBe(201);
    const event = await streamEvent();
    const outboxInserts = event.Records.filter((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'outbox');
    // Act: the batch, then the same batch again (the event source mapping retries at least once)
    const first = await deliverHandler(event, lambdaContext('support-access-deliver'));
    const again = await deliverHandler(event, lambdaContext('support-access-deliver'));
    // Assess
    expect(event.Records.length).toBeGreaterThan(outboxInserts.length);
    expect(outboxInserts.length).toBeGreaterThanOrEqual(1);
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    for (const who of [p.admin, p.contact]) {
      const mails = (await api.mailTo(who.email)).filter((m) => m.subject.includes('T-77'));
      expect(mails, who.email).toHaveLength(1);
      expect(mails[0]!.subject).toBe(`Support access granted to ${p.tenantId} (ticket T-77)`);
    }
  });
});
