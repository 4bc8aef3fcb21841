/** The requests module (access requests and extensions) as the other modules see it. */
export { expireRequest } from './rules.ts';
export { escalateRequest, extendGrant, warnGrant } from './lifecycle.ts';
export { pendingCountItem } from './store.ts';
