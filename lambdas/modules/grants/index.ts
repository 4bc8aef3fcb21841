/** The grants module as the other modules see it: building and activating a grant, ending one. */
export { activationChange, buildGrant } from './rules.ts';
export { activeGrant, expireGrant } from './service.ts';
export type { Digest } from './endings.ts';
export { entryItem, grantDueAt, grantItem, parseEntry, parseGrant, principalsOf } from './entity.ts';
export type { AccessPrincipal } from './entity.ts';
