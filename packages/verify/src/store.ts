/**
 * Where revocations live. The verifier asks the store on every token; the webhook handler and the
 * feed's catch-up write to it. A revocation is kept for as long as a token it could stop may still
 * be valid (the token lifetime, 15 minutes), then forgotten. The memory store serves one process;
 * the Redis store (./redis.ts) lets every instance of an application see one revocation.
 */

export type Revoked = 'session' | 'grant';

export interface RevocationStore {
  /** Refuses a session's (or every one of a grant's) tokens for the next `ttlSeconds`. */
  revoke(kind: Revoked, id: string, ttlSeconds: number): Promise<void>;
  /** Whether the session or its grant was revoked (and the revocation is still kept). */
  isRevoked(sessionId: string, grantId: string): Promise<boolean>;
  /** Records an event id for `ttlSeconds`; answers false when it was recorded before (a duplicate). */
  markSeen(eventId: string, ttlSeconds: number): Promise<boolean>;
  /** The event feed's last cursor (null: never read). Kept without expiry. */
  getCursor(): Promise<string | null>;
  setCursor(cursor: string): Promise<void>;
}

/** One process's revocations, timed on `now` (default: the system clock). */
export class MemoryRevocationStore implements RevocationStore {
  private readonly entries = new Map<string, number>();
  private cursor: string | null = null;

  constructor(private readonly now: () => Date = () => new Date()) {}

  async revoke(kind: Revoked, id: string, ttlSeconds: number): Promise<void> {
    this.entries.set(`${kind}:${id}`, this.now().getTime() + ttlSeconds * 1000);
  }

  async isRevoked(sessionId: string, grantId: string): Promise<boolean> {
    return this.live(`session:${sessionId}`) || this.live(`grant:${grantId}`);
  }

  async markSeen(eventId: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(`seen:${eventId}`)) return false;
    this.entries.set(`seen:${eventId}`, this.now().getTime() + ttlSeconds * 1000);
    return true;
  }

  async getCursor(): Promise<string | null> {
    return this.cursor;
  }

  async setCursor(cursor: string): Promise<void> {
    this.cursor = cursor;
  }

  /** How many sessions and grants are remembered now. */
  get size(): number {
    this.prune();
    return [...this.entries.keys()].filter((k) => !k.startsWith('seen:')).length;
  }

  private live(key: string): boolean {
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until > this.now().getTime()) return true;
    this.entries.delete(key);
    return false;
  }

  private prune(): void {
    const t = this.now().getTime();
    for (const [k, until] of this.entries) if (until <= t) this.entries.delete(k);
  }
}
