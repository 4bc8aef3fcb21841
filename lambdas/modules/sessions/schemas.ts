/** The sessions module's part of the v1 contract's schemas (re-exported by `lambdas/contract/schemas.ts`). */
import * as z from 'zod';
import { Actor, Id, Scope, Timestamp, lazily } from '../../contract/schema-base.ts';
import { Reason } from '../grants/schemas.ts';

// ---- sessions and access ---------------------------------------------------------------------

export const Session = lazily(() =>
  z.object({
    sessionId: z.string(),
    tenantId: z.string(),
    grantId: z.string(),
    accessedBy: Actor,
    reason: z.string(),
    signInAt: Timestamp,
    signOutAt: Timestamp.nullable(),
    endedBy: z.enum(['agent', 'revoked', 'expired']).nullable(),
    grantedBy: Actor,
    sourceIp: z.string(),
    userAgent: z.string(),
  }),
);
export type Session = z.infer<typeof Session>;
export const SignInBody = lazily(() => z.strictObject({ reason: Reason, grantId: Id.optional() }));
export type SignInBody = z.infer<typeof SignInBody>;
export const EmptyBody = lazily(() => z.strictObject({}));
/**
 * A sign-in's (and a token refresh's) answer: the session plus its support-session token, an ES256
 * JWT the vendor's application verifies offline against `GET /v1/.well-known/jwks.json`. An
 * `Idempotency-Key` replay of a sign-in whose session has ended since answers no token.
 */
export const SessionWithToken = lazily(() =>
  Session.unwrap().extend({
    token: z
      .string()
      .optional()
      .describe(
        'The support-session token (ES256 JWT): claims iss, aud, sub, email, tenant_id, scope, modules (absent: every module), grant_id, session_id, jti, iat, exp',
      ),
    tokenExpiresAt: Timestamp.optional().describe("The token's exp: the earlier of the grant's end and 15 minutes after it was issued"),
  }),
);
export type SessionWithToken = z.infer<typeof SessionWithToken>;
/** The public keys that sign support-session tokens (RFC 7517), each with its `kid`. */
export const Jwks = lazily(() =>
  z.object({
    keys: z.array(
      z.object({
        kty: z.literal('EC'),
        crv: z.literal('P-256'),
        x: z.string(),
        y: z.string(),
        kid: z.string(),
        alg: z.literal('ES256'),
        use: z.literal('sig'),
      }),
    ),
  }),
);
export type Jwks = z.infer<typeof Jwks>;

/** The API-token issuer's discovery document (OpenID Connect Discovery metadata, the parts a verifier reads). */
export const IssuerConfiguration = lazily(() =>
  z.object({
    issuer: z.string(),
    jwks_uri: z.string(),
    id_token_signing_alg_values_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
    claims_supported: z.array(z.string()),
  }),
);

export const Access = lazily(() =>
  z.object({
    allowed: z.boolean(),
    scope: Scope.nullable(),
    expiresAt: Timestamp.nullable().describe('null when a standing grant covers the caller'),
    grantIds: z.array(z.string()),
  }),
);
export type Access = z.infer<typeof Access>;
