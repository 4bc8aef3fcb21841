/**
 * The condition that a grant item backs the access entry a sign-in was admitted by (`startSession`):
 * the grant itself says the scope and end the session token will carry, and covers the caller as
 * the entry did. An entry is a copy of its grant; a copy edited or added by hand is no access.
 */
import { MAX_GRANTEES } from '../../contract/schemas.ts';
import type { EntryBacking } from '../../kernel/ports.ts';

export interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Compares the grant item's own attributes with what the entry said: no read, part of the write. */
export function backedBy({ entry, grantee }: EntryBacking): Condition {
  const { modules } = entry.scope;
  const names: Record<string, string> = { '#scope': 'scope', '#level': 'level', '#modules': 'modules', '#audience': 'audience' };
  const values: Record<string, unknown> = { ':level': entry.scope.level, ':end': entry.expiresAt };
  const parts = [
    '#scope.#level = :level',
    // The modules are a list, copied in the grant's order: equal as a value, or absent on both.
    modules ? '#scope.#modules = :modules' : 'attribute_not_exists(#scope.#modules)',
    'expiresAt = :end',
  ];
  if (modules) values[':modules'] = modules;
  if (grantee === null) {
    parts.push('#audience = :team');
    values[':team'] = 'support-team';
  } else {
    // Among the grant's grantees (at most MAX_GRANTEES), by `sub` and the email the grant names them with.
    names['#grantees'] = 'grantees';
    Object.assign(values, { ':named': 'named', ':gid': grantee.id, ':gemail': grantee.email });
    const any = Array.from({ length: MAX_GRANTEES }, (_, i) => `(#grantees[${i}].id = :gid AND #grantees[${i}].email = :gemail)`);
    parts.push('#audience = :named', `(${any.join(' OR ')})`);
  }
  return { expression: parts.join(' AND '), names, values };
}
