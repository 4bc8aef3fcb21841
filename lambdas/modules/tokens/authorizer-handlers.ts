/** The Lambda authorizer of the HTTP API (`lib/api.ts`): the API-token check, keys from KMS, read once per container. */
import { apiTokenKeysFromEnv } from '../../runtime/kms.ts';
import { createApiTokenVerifier, type ApiTokenVerifier } from './api-token.ts';
import { authorizeBearer, type AuthorizerResult } from './authorizer.ts';

const source = apiTokenKeysFromEnv();
let verifier: ApiTokenVerifier | undefined;

export const handler = async (event: { headers?: Record<string, string | undefined> }): Promise<AuthorizerResult> => {
  if (!verifier) {
    const { keys, issuer } = source();
    verifier = createApiTokenVerifier({ issuer, jwks: () => keys.jwks() });
  }
  return authorizeBearer(verifier, event.headers?.authorization, Date.now());
};
