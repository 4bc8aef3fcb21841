/**
 * `npm run backfill:requesters`: once, after deploying the requester index (GSI3), gives the access
 * requests written before it their requester keys, so that *My requests* (`GET /v1/me/requests`)
 * lists them too. Idempotent. Against AWS it uses TABLE_NAME and the usual AWS credentials;
 * DYNAMODB_ENDPOINT points it at DynamoDB Local (the local stack runs it itself at start).
 */
import { backfillRequesterKeys } from '../lambdas/modules/requests/store-migrations.ts';
import { documentClient, dynamoClient, settingsFromEnv } from '../lambdas/runtime/index.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  const settings = settingsFromEnv();
  if (!settings.tableName) throw new Error('TABLE_NAME is not set');
  const doc = documentClient(dynamoClient(settings.dynamoEndpoint));
  const updated = await backfillRequesterKeys(doc, settings.tableName);
  console.log(`${updated} request(s) given their requester keys`);
  doc.destroy();
}
