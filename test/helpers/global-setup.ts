/**
 * Starts one DynamoDB Local (in memory, on a free port) for the run and stops it at the end, also
 * when tests fail; a watchdog stops Java if the run itself dies. Each test file makes its own
 * table (`freshTableName`) and isolates tests with fresh tenant ids, never by truncating.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamodb.ts';

let dynamo: DynamoLocal | undefined;

export async function setup(project: TestProject) {
  dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown() {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
