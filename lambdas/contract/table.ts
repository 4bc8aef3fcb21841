/**
 * The single-table key design: attribute names, indexes and key builders.
 *
 * The CDK `Table`, the local stack's `CreateTable` input and the repository all derive from this
 * module, so a key can only be spelled one way. The shared part (attributes, indexes, shards,
 * the entities without an entity file) is `key-design.ts`; grants and their access entries, and
 * sessions, keep their keys beside their items in their module's `entity.ts`; `keys` here is all
 * of them. Access patterns are named here; physical index names stay generic (`GSI1`, `GSI2`).
 * `docs/data-model.md` lists the same table for humans.
 */
import { designKeys } from './key-design.ts';
import { grantKeys } from '../modules/grants/entity.ts';
import { sessionKeys } from '../modules/sessions/entity.ts';

export * from './key-design.ts';
export type { AccessPrincipal } from '../modules/grants/entity.ts';
export { SESSION_ID_SLACK_MS } from '../modules/sessions/entity.ts';

/** Key builders, one per entity. Every tenant-owned key starts with the tenant. */
export const keys = { ...designKeys, ...grantKeys, ...sessionKeys } as const;
