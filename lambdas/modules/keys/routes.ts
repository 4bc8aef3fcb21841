/** The keys group's routes (its Lambda: `groups.keys` in `lambdas/contract/route-def.ts`), in the route table's order. */
import type { RouteDef } from '../../contract/route-def.ts';
import * as s from '../../contract/schemas.ts';

export const keysRoutes = [
  {
    id: 'GetJwks',
    method: 'GET',
    path: '/v1/.well-known/jwks.json',
    group: 'keys',
    auth: false,
    roles: [],
    summary: 'The public keys of the support-session tokens (cacheable)',
    success: { status: 200, schema: s.Jwks, description: 'The JSON Web Key Set' },
  },
  {
    id: 'GetTokenIssuerConfiguration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    group: 'keys',
    auth: false,
    roles: [],
    summary: "The API-token issuer's discovery document (the API's own address is the issuer, output TokenIssuer)",
    success: { status: 200, schema: s.IssuerConfiguration, description: 'issuer, jwks_uri and the algorithms' },
  },
  {
    id: 'GetApiTokenJwks',
    method: 'GET',
    path: '/.well-known/api-token-jwks.json',
    group: 'keys',
    auth: false,
    roles: [],
    summary: 'The public keys of the API tokens (cacheable; the jwks_uri of the discovery document)',
    success: { status: 200, schema: s.Jwks, description: 'The JSON Web Key Set' },
  },
] as const satisfies readonly RouteDef[];
