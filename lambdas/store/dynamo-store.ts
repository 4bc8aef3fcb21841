/**
 * The DynamoDB repository: every port the domain declares over one table, each part built the
 * same way from `{ doc, tableName }` (see `table.ts`). Every key comes from `contract/table.ts`;
 * every transition is a conditional write; every change and its audit events and outbox messages
 * go in one `TransactWriteItems`.
 */
import type { AuditChainStore, AuditVerifyStore, IdempotencyStore, OutboxStore, Store } from '../domain/ports.ts';
import { createAuditChainStore } from './audit-chain.ts';
import { createAuditVerifyStore } from './audit-verify-store.ts';
import { createEntityStore } from './entities.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { createOutboxStore } from './outbox.ts';
import type { StoreOptions } from './table.ts';

export { auditItem, entryItem, grantDueAt, grantItem, outboxItem, principalsOf, requestDueAt, requestItem, sessionItem } from './items.ts';
export type { StoreOptions as DynamoStoreOptions } from './table.ts';

/** Every port over one table. */
export type DynamoStore = Store & OutboxStore & IdempotencyStore & AuditChainStore & AuditVerifyStore;

/** Builds the repository over a document client and a table name. */
export function createDynamoStore(options: StoreOptions): DynamoStore {
  return {
    ...createEntityStore(options),
    ...createOutboxStore(options),
    ...createIdempotencyStore(options),
    ...createAuditChainStore(options),
    // Incremental verification (checkpoints, grant states): lambdas/store/audit-verify-store.ts.
    ...createAuditVerifyStore(options),
  };
}
