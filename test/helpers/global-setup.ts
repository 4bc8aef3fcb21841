/**
 * Starts one DynamoDB Local (in memory, on a free port) for the run and stops it at the end.
 * Tests isolate themselves with fresh tenant ids, not by truncating tables.
 */
import type { TestProject } from 'vitest/node';
import { ensureTable, startDynamoLocal, type DynamoLocal } from '../../local/dynamodb.ts';

export const TABLE = 'support-access-test';

let dynamo: DynamoLocal | undefined;

export async function setup(project: TestProject) {
  dynamo = await startDynamoLocal();
  await ensureTable(dynamo.endpoint, TABLE);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('tableName', TABLE);
}

export async function teardown() {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    tableName: string;
  }
}
