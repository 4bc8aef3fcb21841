/**
 * Support-session tokens: the short-lived ES256 JWT that a sign-in answers, which the vendor's
 * application verifies offline. The domain decides the claims and when a token may be issued;
 * signing is a port (`SessionTokenSigner`: jose with a local key, or AWS KMS when deployed).
 */
import type { Scope, Session } from '../../contract/schemas.ts';
import { AccessNotGrantedError, ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.ts';
import { covers, grantView, iso, sessionView } from '../../kernel/model.ts';
import type { Deps, Principal } from '../../kernel/ports.ts';

/** A token lives at most this long; a grant that ends sooner ends it sooner. */
export const SESSION_TOKEN_TTL_SECONDS = 15 * 60;

/** The claims of a support-session token, exactly as the contract lists them. */
export interface SessionTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  email: string;
  tenant_id: string;
  scope: Scope['level'];
  /** Absent: every module. */
  modules?: string[];
  grant_id: string;
  session_id: string;
  jti: string;
  iat: number;
  exp: number;
}

/** Signs the claims into a compact JWS (ES256), naming its key by `kid`. */
export interface SessionTokenSigner {
  sign(claims: SessionTokenClaims): Promise<string>;
}

export interface SessionTokens {
  signer: SessionTokenSigner;
  /** The deployment's issuer URL (`iss`). */
  issuer: string;
  /** Setting `sessionTokenAudience` (`aud`). */
  audience: string;
}

export type TokenDeps = Deps & { tokens: SessionTokens };

/** What a sign-in and a refresh answer: the session plus its token. */
export type SessionWithToken = Session & { token?: string; tokenExpiresAt?: string };

/**
 * The claims of a session's token issued at `now`: `exp` is the earlier of the grant's end and
 * `now` + 15 minutes (a standing grant: 15 minutes).
 */
export function sessionTokenClaims(
  settings: Pick<SessionTokens, 'issuer' | 'audience'>,
  session: Pick<Session, 'sessionId' | 'tenantId' | 'grantId' | 'accessedBy'>,
  grant: { scope: Scope; expiresAt: string | null },
  now: Date,
  jti: string,
): SessionTokenClaims {
  const iat = Math.floor(now.getTime() / 1000);
  const ttlEnd = iat + SESSION_TOKEN_TTL_SECONDS;
  const grantEnd = grant.expiresAt === null ? ttlEnd : Math.floor(new Date(grant.expiresAt).getTime() / 1000);
  return {
    iss: settings.issuer,
    aud: settings.audience,
    sub: session.accessedBy.id,
    email: session.accessedBy.email,
    tenant_id: session.tenantId,
    scope: grant.scope.level,
    ...(grant.scope.modules ? { modules: [...grant.scope.modules] } : {}),
    grant_id: session.grantId,
    session_id: session.sessionId,
    jti,
    iat,
    exp: Math.min(grantEnd, ttlEnd),
  };
}

/** Signs a token for an open session under a live grant and answers the session with it. */
export async function withToken(
  deps: TokenDeps,
  session: Session,
  grant: { scope: Scope; expiresAt: string | null },
): Promise<SessionWithToken> {
  const claims = sessionTokenClaims(deps.tokens, session, grant, deps.clock.now(), deps.ids.next());
  const token = await deps.tokens.signer.sign(claims);
  return { ...session, token, tokenExpiresAt: iso(new Date(claims.exp * 1000)) };
}

/**
 * A fresh token for a session.
 * 1. Read the session: none (or another tenant's) 404; another agent's 403.
 * 2. Ended (signed out, revoked, or its grant's time is up): 409 CONFLICT.
 * 3. Read its grant: not ACTIVE now, or no longer covering the caller: 403 ACCESS_NOT_GRANTED.
 * 4. Sign a token with the grant's scope, ending at the earlier of the grant's end and 15 minutes.
 */
export async function refreshSessionToken(
  deps: TokenDeps,
  caller: Principal,
  tenantId: string,
  sessionId: string,
): Promise<SessionWithToken> {
  const now = deps.clock.now();
  const stored = await deps.store.getSession(tenantId, sessionId);
  if (!stored) throw new NotFoundError(`no session ${sessionId}`);
  if (stored.accessedBy.id !== caller.id) throw new ForbiddenError("only the session's agent can refresh its token");
  const session = sessionView(stored, now);
  if (session.signOutAt !== null) throw new ConflictError('the session has ended: sign in again');
  const grant = await deps.store.getGrant(tenantId, session.grantId);
  if (!grant || grantView(grant, now).status !== 'ACTIVE' || !covers(grant, caller)) {
    throw new AccessNotGrantedError('the grant of this session no longer gives you access');
  }
  return withToken(deps, session, grant);
}

/**
 * What an `Idempotency-Key` replay of a sign-in answers: the session as it is now, with a fresh
 * token while it is open and its grant still admits the caller, and without one once it ended
 * (a replay never hands out a token the first answer's session could no longer get).
 */
export async function replaySignIn(deps: TokenDeps, caller: Principal, tenantId: string, session: Session): Promise<SessionWithToken> {
  if (session.signOutAt !== null) return session;
  try {
    return await refreshSessionToken(deps, caller, tenantId, session.sessionId);
  } catch (e) {
    if (e instanceof ConflictError || e instanceof AccessNotGrantedError) return session;
    throw e;
  }
}
