/** The session entity and the access entry: their records. */
export type { AccessEntry, EntryBacking, SessionRecord } from '../../kernel/ports.ts';
