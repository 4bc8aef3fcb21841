/**
 * `GetJwks`: the public keys of the support-session tokens, without a token. Cacheable for five
 * minutes: a verifier that meets an unknown `kid` (a rotation began) fetches again at once.
 */
import { sessionKeys } from '../keys/runtime.ts';
import { api } from './api.ts';
import { getRuntime } from './runtime.ts';

/** How long verifiers and caches may keep the key set. */
export const JWKS_MAX_AGE_SECONDS = 300;

export const handler = api('keys', {
  GetJwks: async () => ({
    body: await sessionKeys().jwks(),
    headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
  }),
}, getRuntime);
