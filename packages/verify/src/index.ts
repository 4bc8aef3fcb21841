/**
 * @support-access/verify: checks a support-session token in the vendor's application without a
 * call to support-access. The token is an ES256 JWT verified against the published JWKS (fetched
 * once, cached for the `max-age` of its answer's `Cache-Control` and never longer, fetched again when a token names an unknown `kid`, which is how a key rotation
 * reaches you). Revocation arrives as events (`Session Ended`, `Grant Revoked`, `Grant Expired`):
 * feed them to `handleEvent` and a revoked session is refused at once, before its token expires.
 */
import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { remoteKeySet } from './jwks.ts';

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

export type RefusalReason = 'invalid' | 'expired' | 'revoked';

/** A token that must not be honoured; `reason` says why. */
export class SessionRefusedError extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionRefusedError';
    this.reason = reason;
  }
}

/** An event as an EventBridge rule target receives it (or as `GET /_local/events` lists it). */
export interface SupportAccessEvent {
  'detail-type': string;
  detail: {
    eventId: string;
    tenantId: string;
    at: string;
    session?: { sessionId: string; grantId: string };
    grant?: { grantId: string };
  };
}

export interface VerifierOptions {
  /** `https://{api}/v1/.well-known/jwks.json` */
  jwksUrl: string | URL;
  /** The deployment's issuer (the API's base URL). */
  issuer: string;
  /** The deployment's `sessionTokenAudience`. */
  audience: string;
  /** The clock (default: the system's). */
  now?: () => Date;
  /** Allowed clock skew, seconds (default 5). */
  clockToleranceSeconds?: number;
  /** The longest a token lives, seconds: revocations are forgotten after it (default 900). */
  maxTokenLifetimeSeconds?: number;
  /** The least time between two fetches of the JWKS for an unknown `kid`, seconds (default 30). */
  jwksCooldownSeconds?: number;
  /** Instead of fetching the JWKS (tests, or a key set you load yourself). */
  keys?: JWTVerifyGetKey;
}

/** The sessions and grants that ended, remembered until every token they could have had expired. */
export class RevocationList {
  private readonly sessions = new Map<string, number>();
  private readonly grants = new Map<string, number>();
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => Date,
    private readonly lifetimeMs: number,
  ) {}

  /** Refuses a session's tokens from now on. */
  revokeSession(sessionId: string): void {
    this.sessions.set(sessionId, this.now().getTime() + this.lifetimeMs);
  }

  /** Refuses every token of a grant from now on. */
  revokeGrant(grantId: string): void {
    this.grants.set(grantId, this.now().getTime() + this.lifetimeMs);
  }

  isRevoked(sessionId: string, grantId: string): boolean {
    this.prune();
    return this.sessions.has(sessionId) || this.grants.has(grantId);
  }

  /**
   * Takes one event: `Session Ended` revokes its session, `Grant Revoked` and `Grant Expired` its
   * grant; others are ignored. An `eventId` seen before is ignored (events may arrive twice).
   * Answers whether it revoked something.
   */
  handleEvent(event: SupportAccessEvent): boolean {
    const id = event.detail?.eventId;
    if (id !== undefined) {
      if (this.seen.has(id)) return false;
      this.seen.set(id, this.now().getTime() + this.lifetimeMs);
    }
    switch (event['detail-type']) {
      case 'Session Ended':
        if (!event.detail.session) return false;
        this.revokeSession(event.detail.session.sessionId);
        return true;
      case 'Grant Revoked':
      case 'Grant Expired':
        if (!event.detail.grant) return false;
        this.revokeGrant(event.detail.grant.grantId);
        return true;
      default:
        return false;
    }
  }

  /** How many sessions and grants are remembered now. */
  get size(): number {
    this.prune();
    return this.sessions.size + this.grants.size;
  }

  private prune(): void {
    const t = this.now().getTime();
    for (const map of [this.sessions, this.grants, this.seen]) for (const [k, until] of map) if (until <= t) map.delete(k);
  }
}

export interface Verifier {
  /** Verifies a token offline; throws `SessionRefusedError` for anything that must not be honoured. */
  verify(token: string): Promise<SupportSession>;
  /** Feeds one event to the revocation list. */
  handleEvent(event: SupportAccessEvent): boolean;
  readonly revocations: RevocationList;
}

const LEVELS: readonly string[] = ['read-only', 'full'];

/** A verifier for one deployment of support-access. */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? (() => new Date());
  const keys =
    options.keys ??
    // Cached for the JWKS answer's own `Cache-Control: max-age`, never longer (./jwks.ts).
    remoteKeySet(new URL(options.jwksUrl), now, (options.jwksCooldownSeconds ?? 30) * 1000);
  const revocations = new RevocationList(now, (options.maxTokenLifetimeSeconds ?? 900) * 1000);
  return {
    revocations,
    handleEvent: (event) => revocations.handleEvent(event),
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['ES256'],
          // A support-session token says `typ: JWT`; an API token (`at+jwt`) is never one.
          typ: 'JWT',
          currentDate: now(),
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (e) {
        if (e instanceof errors.JWTExpired) throw new SessionRefusedError('expired', 'the support session token has expired', { cause: e });
        throw new SessionRefusedError('invalid', 'the support session token is not valid', { cause: e });
      }
      const { sub, email, tenant_id, scope, modules, grant_id, session_id, jti, exp } = payload as Record<string, unknown>;
      const strings = [sub, email, tenant_id, grant_id, session_id, jti];
      if (strings.some((v) => typeof v !== 'string' || v === '') || typeof scope !== 'string' || !LEVELS.includes(scope)) {
        throw new SessionRefusedError('invalid', 'the support session token lacks a claim');
      }
      if (modules !== undefined && (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string'))) {
        throw new SessionRefusedError('invalid', 'the support session token has malformed modules');
      }
      if (revocations.isRevoked(session_id as string, grant_id as string)) {
        throw new SessionRefusedError('revoked', 'the support session has ended');
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
