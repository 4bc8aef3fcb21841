/**
 * One-off upgrade of a table written before v1.1: sessions stored then lack the index keys that
 * later code reads them by.
 *
 * - `GSI2PK/GSI2SK` = `SESSIONS#t#GRANT#g` / `SESSION#id`: the sessions of a grant, which the
 *   end-of-access digest and the expiry warning of a support-team grant read. Without them an old
 *   session is missing from its grant's digest.
 * - `GSI1PK/GSI1SK` = `SESSIONS#t#PERSON#email` / `SESSION#id`: the login history filtered by
 *   person (`?accessedBy=`). Without them an old session is missing from that filter.
 *
 * Reading them back any other way costs a range read of the tenant's login history on every
 * ending (a standing grant's range is its whole history), for ever; one scan of the table, once,
 * costs less. `npm run backfill:sessions` runs it (see docs/deploy.md, "Upgrading").
 *
 * Idempotent: only sessions missing a key are read back (a filtered scan), each update sets a key
 * only where it is absent (`if_not_exists`) with the spelling of every write (`sessionItem`), and
 * a second run finds nothing to do. Safe while the API serves: the update touches index keys only,
 * and a session deleted meanwhile is skipped.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, type TableKey, tableKeyOf } from '../../contract/table.ts';
import { type Item, strip } from '../../kernel/store/items.ts';
import { parseSession, sessionItem } from './entity.ts';

/** What a run found and did. */
export interface BackfillReport {
  /** Items the scan read (every item of the table: DynamoDB reads them all to filter). */
  scanned: number;
  /** Sessions that lacked a key when the scan saw them. */
  missing: number;
  /** Sessions given their keys by this run. */
  updated: number;
  /** Sessions gone (deleted) between the scan and the update. */
  skipped: number;
  /** Items typed as sessions that no longer parse as one: left alone, listed for a person to see. */
  unreadable: TableKey[];
}

export interface BackfillOptions {
  /** Parallel scan segments (DynamoDB's `TotalSegments`); more is faster on a large table. */
  segments?: number;
  /** Count only: read what is missing, write nothing. */
  dryRun?: boolean;
  /** Called after each page of each segment. */
  onProgress?: (report: Readonly<BackfillReport>) => void;
}

/** The index key attributes a session carries, in the order an update sets them. */
const SESSION_INDEX_KEYS = [attr.gsi1pk, attr.gsi1sk, attr.gsi2pk, attr.gsi2sk] as const;

/** Gives every session of `tableName` the index keys it lacks. */
export async function backfillSessionKeys(
  doc: DynamoDBDocumentClient,
  tableName: string,
  { segments = 4, dryRun = false, onProgress }: BackfillOptions = {},
): Promise<BackfillReport> {
  const report: BackfillReport = { scanned: 0, missing: 0, updated: 0, skipped: 0, unreadable: [] };
  const names = Object.fromEntries(SESSION_INDEX_KEYS.map((k, i) => [`#k${i}`, k]));
  const missingKey = SESSION_INDEX_KEYS.map((_, i) => `attribute_not_exists(#k${i})`).join(' OR ');

  async function fill(item: Item): Promise<void> {
    let wanted: Item;
    try {
      wanted = sessionItem(parseSession(strip(item)));
    } catch {
      report.unreadable.push(tableKeyOf(item));
      return;
    }
    if (dryRun) return;
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: tableKeyOf(item),
          UpdateExpression: `SET ${SESSION_INDEX_KEYS.map((_, i) => `#k${i} = if_not_exists(#k${i}, :k${i})`).join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk) AND #type = :session',
          ExpressionAttributeNames: { ...names, '#pk': attr.pk, '#type': attr.type },
          ExpressionAttributeValues: {
            ...Object.fromEntries(SESSION_INDEX_KEYS.map((k, i) => [`:k${i}`, wanted[k]])),
            ':session': 'session',
          },
        }),
      );
      report.updated++;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      report.skipped++;
    }
  }

  async function segment(n: number): Promise<void> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: tableName,
          Segment: n,
          TotalSegments: segments,
          FilterExpression: `#type = :session AND (${missingKey})`,
          ExpressionAttributeNames: { ...names, '#type': attr.type },
          ExpressionAttributeValues: { ':session': 'session' },
          ExclusiveStartKey: start,
        }),
      );
      report.scanned += page.ScannedCount ?? 0;
      const items = page.Items ?? [];
      report.missing += items.length;
      // A page's updates in parallel, a page at a time: bounded work in flight.
      await Promise.all(items.map(fill));
      onProgress?.(report);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  await Promise.all(Array.from({ length: segments }, (_, n) => segment(n)));
  return report;
}
