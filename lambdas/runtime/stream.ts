/** DynamoDB stream images as plain items (the SDK's unmarshalling, kept inside the runtime). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';

type StreamImage = NonNullable<NonNullable<DynamoDBStreamEvent['Records'][number]['dynamodb']>['NewImage']>;

export function itemOfImage(image: StreamImage): Record<string, unknown> {
  return unmarshall(image as Record<string, AttributeValue>);
}
