/** The requests module (access requests and extensions) as the other modules see it. */
export { expireRequest } from './service.ts';
export { escalateRequest, extendGrant, warnGrant } from './lifecycle-service.ts';
export { pendingCountItem } from './store.ts';
export { parseRequest, requestDueAt, requestItem } from './entity.ts';
export type { RequestRecord } from './entity.ts';
