/** The grants module as the other modules see it: building and activating a grant, ending one. */
export { activationChange, activeGrant, buildGrant, expireGrant } from './rules.ts';
export type { Digest } from './endings.ts';
