/**
 * @support-access/verify 1.0: checks a support-session token in the vendor's application without
 * a call to support-access (ES256 against the published JWKS), for the tenant of the request, with
 * revocations from a store (memory by default, Redis to share them between instances) fed by
 * signed webhooks and by the event feed's catch-up at start; middleware for `node:http`, Express
 * and Fastify.
 */
export {
  API_TOKEN_AUDIENCE,
  createVerifier,
  SessionRefusedError,
  type KeyGetter,
  type Level,
  type RefusalReason,
  type SupportSession,
  type Verifier,
  type VerifierOptions,
  type VerifyOptions,
} from './verifier.ts';
export { MemoryRevocationStore, type RevocationStore, type Revoked } from './store.ts';
export { RedisRevocationStore, type RedisCaller, type RedisStoreOptions } from './redis.ts';
export { REVOKING_TYPES, revocationOf, type FeedEvent, type Revocation, type SupportAccessEvent, type WebhookEvent } from './events.ts';
export {
  checkWebhook,
  createWebhookHandler,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookRefusedError,
  type WebhookAnswer,
  type WebhookCheckOptions,
  type WebhookHandlerOptions,
  type WebhookRefusal,
} from './webhook.ts';
export { catchUp, type CatchUpOptions, type CatchUpResult } from './feed.ts';
export {
  authenticate,
  expressSupportSession,
  fastifySupportSession,
  nodeSupportSession,
  type MiddlewareOptions,
  type Problem,
  type SupportRequest,
} from './middleware.ts';
export { DEFAULT_JWKS_MAX_AGE_SECONDS, maxAgeOf } from './jwks.ts';
