/**
 * The DynamoDB repository: every port the domain declares over one table, each part built the
 * same way from `{ doc, tableName }` (see `table.ts`). Every key comes from `contract/table.ts`;
 * every transition is a conditional write; every change and its audit events and outbox messages
 * go in one `TransactWriteItems`.
 */
import type { AuditChainStore, AuditVerifyStore, IdempotencyStore, OutboxStore, Store } from '../kernel/ports.ts';
import { createAuditChainStore } from '../modules/audit/store-chain.ts';
import { createAuditVerifyStore } from '../modules/audit/store-verify.ts';
import { createAuditStore } from '../modules/audit/store.ts';
import { createDueStore } from '../modules/expiry/store.ts';
import { createGrantStore } from '../modules/grants/store.ts';
import { createRequestStore } from '../modules/requests/store.ts';
import { createSessionStore } from '../modules/sessions/store.ts';
import { createContactStore } from '../modules/settings/store.ts';
import { tableAccess } from '../kernel/store/table.ts';
import { createIdempotencyStore } from '../kernel/store/idempotency.ts';
import { createOutboxStore } from '../modules/outbox/store.ts';
import type { StoreOptions } from '../kernel/store/table.ts';

export { auditItem, outboxItem } from '../kernel/store/items.ts';
export { requestDueAt, requestItem } from '../modules/requests/entity.ts';
export { entryItem, grantDueAt, grantItem, principalsOf } from '../modules/grants/index.ts';
export { sessionItem } from '../modules/sessions/index.ts';
export type { StoreOptions as DynamoStoreOptions } from '../kernel/store/table.ts';

/** Every port over one table. */
export type DynamoStore = Store & OutboxStore & IdempotencyStore & AuditChainStore & AuditVerifyStore;

/** Builds the repository over a document client and a table name. */
export function createDynamoStore(options: StoreOptions): DynamoStore {
  const t = tableAccess(options);
  return {
    // The `Store` port, one module's part each, over one table helper.
    ...createContactStore(t, options),
    ...createGrantStore(t, options),
    ...createSessionStore(t, options),
    ...createRequestStore(t, options),
    ...createAuditStore(t, options),
    ...createDueStore(t, options),
    ...createOutboxStore(options),
    ...createIdempotencyStore(options),
    ...createAuditChainStore(options),
    // Incremental verification (checkpoints, grant states): lambdas/modules/audit/store-verify.ts.
    ...createAuditVerifyStore(options),
  };
}
