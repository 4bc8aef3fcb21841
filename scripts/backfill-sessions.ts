/**
 * `npm run backfill:sessions [-- --dry-run] [-- --segments=8]`: the one-off upgrade that gives
 * sessions written before v1.1 the index keys of their grant and their person
 * (`lambdas/modules/sessions/store-backfill.ts`), so every end-of-access digest and the login history filtered by
 * person see them. Against AWS it uses TABLE_NAME and the usual AWS credentials; DYNAMODB_ENDPOINT
 * points it at DynamoDB Local. Idempotent: run it again and it updates nothing.
 */
import { backfillSessionKeys, type BackfillReport } from '../lambdas/modules/sessions/store-backfill.ts';
import { documentClient, dynamoClient } from '../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../local/dynamodb.ts';
import { settingsFromEnv } from '../lambdas/runtime/settings.ts';

/** The closing lines of a run, as printed. */
export function summary(r: BackfillReport, dryRun: boolean): string[] {
  return [
    `scanned ${r.scanned} items; ${r.missing} sessions lacked index keys; ${dryRun ? 'dry run: nothing written' : `updated ${r.updated}, skipped ${r.skipped} (deleted meanwhile)`}`,
    ...r.unreadable.map((k) => `not a readable session, left alone: ${k.PK} / ${k.SK}`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--dry-run' && !/^--segments=[1-9]\d*$/.test(a));
  const settings = settingsFromEnv();
  if (unknown.length || !settings.tableName) {
    console.error(
      `${unknown.length ? `unknown argument ${unknown.join(' ')}; ` : ''}usage: TABLE_NAME=… [DYNAMODB_ENDPOINT=…] npm run backfill:sessions -- [--dry-run] [--segments=N]`,
    );
    process.exit(2);
  }
  const dryRun = args.includes('--dry-run');
  const segments = Number(args.find((a) => a.startsWith('--segments='))?.split('=')[1] ?? 4);
  // DynamoDB Local takes any credentials: the local stack's, so none need be set.
  const doc = documentClient(settings.dynamoEndpoint ? localDynamoClient(settings.dynamoEndpoint) : dynamoClient());
  const report = await backfillSessionKeys(doc, settings.tableName, { dryRun, segments });
  console.log(summary(report, dryRun).join('\n'));
  doc.destroy();
  process.exitCode = report.unreadable.length ? 1 : 0;
}
