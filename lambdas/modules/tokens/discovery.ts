/**
 * The token issuer's discovery document (OpenID Connect Discovery 1.0's metadata, the parts an API
 * token's verifier reads) and where its keys are. Served without a bearer by the API (the keys
 * function) and the local stack at `{issuer}/.well-known/openid-configuration`.
 */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const API_JWKS_PATH = '/.well-known/api-token-jwks.json';

export function discoveryDocument(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}${API_JWKS_PATH}`,
    id_token_signing_alg_values_supported: ['ES256'],
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    claims_supported: ['sub', 'email', 'email_verified', 'name', 'roles', 'tenant_id', 'via', 'idp', 'client_id', 'scope'],
  };
}
