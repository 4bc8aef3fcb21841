/** The AWS SDK clients, made one way for every part of the project. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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

/**
 * Takes the SDK's logger middleware off a client. The project gives the SDK no logger, yet that
 * middleware copies every command's input and output through the sensitive-data filter for the
 * no-op logger on every call (about 1% of the access check's CPU). Failures still reach the
 * caller as errors, which the project logs itself.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
