/** The grant entity: its record. */
export type { GrantRecord } from '../../kernel/ports.ts';
