/**
 * `GetJwks`: the public keys of the support-session tokens, without a token. Cacheable for five
 * minutes: a verifier that meets an unknown `kid` (a rotation began) fetches again at once.
 */
import type { KeySet } from './key-set.ts';
import { kmsKeysFromEnv } from '../../runtime/kms.ts';
import { lambdaTelemetry, type Telemetry } from '../../runtime/telemetry.ts';
import { api, type Handlers } from '../../kernel/http/api.ts';
import { apiTokenKeysFromEnv } from '../../runtime/kms.ts';
import { discoveryDocument, type ApiTokenKeys } from '../tokens/index.ts';

/** How long verifiers and caches may keep the key set. */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The function over what holds the keys (the local stack passes its dependencies); it has no
 * table, so deployed it is given the KMS keys alone.
 */
export const createHandler = (
  source: () => { sessionKeys: KeySet; telemetry: Telemetry; apiTokens: { keys: ApiTokenKeys; issuer: string } },
) => {
  const routes: Handlers<'keys'> = {
    GetJwks: async () => ({
      body: await source().sessionKeys.jwks(),
      headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
    }),
    GetTokenIssuerConfiguration: async () => ({
      body: discoveryDocument(source().apiTokens.issuer),
      headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
    }),
    GetApiTokenJwks: async () => ({
      body: await source().apiTokens.keys.jwks(),
      headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
    }),
  };
  return api('keys', routes, null, {}, () => source().telemetry);
};
const kmsKeys = kmsKeysFromEnv();
const telemetry = lambdaTelemetry();
const apiTokens = apiTokenKeysFromEnv();
export const handler = createHandler(() => ({ sessionKeys: kmsKeys(), telemetry: telemetry(), apiTokens: apiTokens() }));
