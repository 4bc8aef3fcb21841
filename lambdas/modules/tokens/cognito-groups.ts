/**
 * The seam for the door that maps Cognito's ID token (issue 24, door 1): its `cognito:groups`
 * claim read as exact group names. The API's auth step no longer reads Cognito's claims; only that
 * door will, and it mints an API token from what this answers.
 */
import { ROLES, type Role } from '../../contract/route-def.ts';

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** The known roles among exact group names; anything else (`tenant-admin (backup)`) grants nothing. */
export function rolesOf(names: readonly unknown[]): Role[] {
  const out: Role[] = [];
  for (const n of names) if (typeof n === 'string' && ROLE_SET.has(n) && !out.includes(n as Role)) out.push(n as Role);
  return out;
}

/**
 * `cognito:groups` as exact group names: a JSON array (a JWT's own claim, or that array sent on as a
 * JSON string), or the `[a b]` string that API Gateway's JWT authorizer makes of an array.
 *
 * The `[a b]` form joins names with spaces, so a name with a space in it (`tenant-admin (backup)`)
 * cannot be told from two names. It is read only when every space-separated part is a role's
 * exact name; one other part (or an empty one) and the claim grants nothing. So an unknown group
 * never lends a role its name; the one case it cannot tell apart is a group named after roles
 * joined by spaces (`tenant-admin support-agent`), which Cognito cannot have (its group names hold
 * no whitespace) and an external issuer must not (docs/security.md).
 *
 * On the hot path: no exception is thrown per request (only a JSON-looking string is parsed).
 */
export function parseGroups(raw: unknown): Role[] {
  if (Array.isArray(raw)) return rolesOf(raw);
  if (typeof raw !== 'string') return [];
  if (raw.startsWith('["') || raw === '[]') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return [];
    }
    return Array.isArray(parsed) ? rolesOf(parsed) : [];
  }
  if (!raw.startsWith('[') || !raw.endsWith(']')) return rolesOf([raw]);
  const parts = raw.slice(1, -1).split(' ');
  for (const p of parts) if (!ROLE_SET.has(p)) return [];
  return rolesOf(parts);
}
