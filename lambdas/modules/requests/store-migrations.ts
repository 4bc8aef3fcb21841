/** One-off data migrations. Each is idempotent: run again, it finds nothing left to do. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, keys } from '../../contract/table.ts';

/**
 * Gives every access request written before the requester index (GSI3) its keys, so that
 * `GET /v1/me/requests` lists it; a request written since carries them already (every write of a
 * request does). One scan of the table, once per deployment: a migration, never a request's path.
 * Each write is conditioned on the item still being there without the keys, so it is safe while
 * the API rewrites requests. Answers how many requests it gave keys.
 */
export async function backfillRequesterKeys(doc: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const names = { '#pk': attr.pk, '#type': attr.type, '#g3pk': attr.gsi3pk, '#g3sk': attr.gsi3sk };
  let updated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#type = :request AND attribute_not_exists(#g3pk)',
        ProjectionExpression: '#pk, #sk, requestId, requestedBy',
        ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk, '#type': attr.type, '#g3pk': attr.gsi3pk },
        ExpressionAttributeValues: { ':request': 'request' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) {
      const requesterId = (item.requestedBy as { id?: unknown } | undefined)?.id;
      if (typeof requesterId !== 'string' || typeof item.requestId !== 'string') continue;
      const k = keys.byRequester(requesterId, item.requestId);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [attr.pk]: item[attr.pk], [attr.sk]: item[attr.sk] },
            UpdateExpression: 'SET #g3pk = :g3pk, #g3sk = :g3sk',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#g3pk) AND #type = :request',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':g3pk': k.GSI3PK, ':g3sk': k.GSI3SK, ':request': 'request' },
          }),
        );
        updated++;
      } catch (e) {
        // Rewritten by the API meanwhile (with its keys), or gone: nothing to do.
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return updated;
}
