/** The AWS SDK clients, made one way for every part of the project. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withoutSdkLogging } from './sdk.ts';

/**
 * The document client every part of the project uses (functions, the local stack, tests, the
 * benchmark), so items are marshalled one way everywhere.
 */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** A DynamoDB client, at another endpoint when one is given (DynamoDB Local). */
export function dynamoClient(endpoint?: string): DynamoDBClient {
  return withoutSdkLogging(new DynamoDBClient(endpoint ? { endpoint } : {}));
}
