/**
 * The verifier: checks a support-session token offline (ES256 against the published JWKS), that
 * it is for the tenant the request is about, and that its session and grant were not revoked (the
 * store). An API token of support-access (`typ: at+jwt`, `aud: support-access-api`) is refused:
 * it says who a caller of the API is, never that they may be inside a tenant.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { revocationOf } from './events.ts';
import { remoteKeySet } from './jwks.ts';
import { MemoryRevocationStore, type RevocationStore } from './store.ts';

export type Level = 'read-only' | 'full';

/** Who is inside the tenant, and with what rights, as the token says. */
export interface SupportSession {
  agent: { id: string; email: string };
  tenantId: string;
  scope: Level;
  /** null: every module. */
  modules: string[] | null;
  grantId: string;
  sessionId: string;
  tokenId: string;
  expiresAt: Date;
  /** May the agent read this module? */
  canRead(module: string): boolean;
  /** May the agent change this module (a `full` scope that covers it)? */
  canWrite(module: string): boolean;
}

/** `wrong-tenant`: a valid token, for another tenant than the request's. */
export type RefusalReason = 'invalid' | 'expired' | 'revoked' | 'wrong-tenant';

/** A token that must not be honoured; `reason` says why. */
export class SessionRefusedError extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionRefusedError';
    this.reason = reason;
  }
}

export interface VerifierOptions {
  /** `https://{api}/v1/.well-known/jwks.json` */
  jwksUrl: string | URL;
  /** The deployment's issuer (the API's base URL). */
  issuer: string;
  /** The deployment's `sessionTokenAudience`. */
  audience: string;
  /** Where revocations are kept (default: this process's memory). */
  store?: RevocationStore;
  /** The clock (default: the system's). */
  now?: () => Date;
  /** Allowed clock skew, seconds (default 5). */
  clockToleranceSeconds?: number;
  /** The longest a token lives, seconds: revocations are kept this long plus the skew (default 900). */
  maxTokenLifetimeSeconds?: number;
  /** The least time between two fetches of the JWKS for an unknown `kid`, seconds (default 30). */
  jwksCooldownSeconds?: number;
  /**
   * Instead of fetching the JWKS (tests, or a key set you load yourself): jose's
   * `createLocalJWKSet(jwks)` or `createRemoteJWKSet(url)`. Typed loosely so that the published
   * types name nothing from jose (ESM-only), which a CommonJS consumer could not resolve.
   */
  keys?: KeyGetter;
}

/** A key getter as jose's `jwtVerify` takes it (`createLocalJWKSet`, `createRemoteJWKSet`). */
export type KeyGetter = (protectedHeader: never, token: never) => unknown;

export interface VerifyOptions {
  /** The tenant the request is about: a token for any other tenant is refused (`wrong-tenant`). */
  tenantId: string;
}

export interface Verifier {
  /** Verifies a token offline for one tenant; throws `SessionRefusedError` for anything that must not be honoured. */
  verify(token: string, options: VerifyOptions): Promise<SupportSession>;
  /**
   * Feeds one event (EventBridge's, a webhook body with its `webhook-id`, or a feed item) to the
   * store. Answers whether it revoked something (false for other types and for a duplicate id).
   */
  handleEvent(event: unknown, webhookId?: string): Promise<boolean>;
  readonly store: RevocationStore;
  /** Seconds a revocation is kept: the token lifetime plus the clock skew. */
  readonly revocationTtlSeconds: number;
}

const LEVELS: readonly string[] = ['read-only', 'full'];
/** The audience of support-access's own API tokens (v1.2). */
export const API_TOKEN_AUDIENCE = 'support-access-api';

const refuse = (reason: RefusalReason, message: string, cause?: unknown) =>
  new SessionRefusedError(reason, message, cause === undefined ? undefined : { cause });

/** A verifier for one deployment of support-access. */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? (() => new Date());
  const tolerance = options.clockToleranceSeconds ?? 5;
  const keys: JWTVerifyGetKey =
    (options.keys as unknown as JWTVerifyGetKey | undefined) ??
    // Cached for the JWKS answer's own `Cache-Control: max-age`, never longer (./jwks.ts).
    remoteKeySet(new URL(options.jwksUrl), now, (options.jwksCooldownSeconds ?? 30) * 1000);
  const store = options.store ?? new MemoryRevocationStore(now);
  const ttl = (options.maxTokenLifetimeSeconds ?? 900) + tolerance;
  return {
    store,
    revocationTtlSeconds: ttl,
    async handleEvent(event, webhookId) {
      const r = revocationOf(event, webhookId);
      if (!r) return false;
      if (r.eventId !== undefined && !(await store.markSeen(r.eventId, ttl))) return false;
      await store.revoke(r.kind, r.id, ttl);
      return true;
    },
    async verify(token, verifyOptions) {
      if (typeof verifyOptions?.tenantId !== 'string' || verifyOptions.tenantId === '') {
        throw new TypeError('verify(token, { tenantId }): the tenant of the request is required');
      }
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch (e) {
        throw refuse('invalid', 'the support session token is not valid', e);
      }
      if (typeof header.typ === 'string' && header.typ.toLowerCase().replace(/^application\//, '') === 'at+jwt') {
        throw refuse('invalid', 'an API token of support-access is not a support session token');
      }
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['ES256'],
          currentDate: now(),
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (e) {
        if (e instanceof errors.JWTExpired) throw refuse('expired', 'the support session token has expired', e);
        throw refuse('invalid', 'the support session token is not valid', e);
      }
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (aud.includes(API_TOKEN_AUDIENCE)) throw refuse('invalid', 'an API token of support-access is not a support session token');
      const { sub, email, tenant_id, scope, modules, grant_id, session_id, jti, exp } = payload as Record<string, unknown>;
      const strings = [sub, email, tenant_id, grant_id, session_id, jti];
      if (strings.some((v) => typeof v !== 'string' || v === '') || typeof scope !== 'string' || !LEVELS.includes(scope)) {
        throw refuse('invalid', 'the support session token lacks a claim');
      }
      if (modules !== undefined && (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string'))) {
        throw refuse('invalid', 'the support session token has malformed modules');
      }
      if (tenant_id !== verifyOptions.tenantId) {
        throw refuse('wrong-tenant', `the support session is for another tenant than ${JSON.stringify(verifyOptions.tenantId)}`);
      }
      if (await store.isRevoked(session_id as string, grant_id as string)) {
        throw refuse('revoked', 'the support session has ended');
      }
      const moduleList = (modules as string[] | undefined) ?? null;
      const covers = (m: string) => moduleList === null || moduleList.includes(m);
      return {
        agent: { id: sub as string, email: email as string },
        tenantId: tenant_id as string,
        scope: scope as Level,
        modules: moduleList,
        grantId: grant_id as string,
        sessionId: session_id as string,
        tokenId: jti as string,
        expiresAt: new Date((exp as number) * 1000),
        canRead: covers,
        canWrite: (m) => scope === 'full' && covers(m),
      };
    },
  };
}
