/**
 * Revocations in Redis, so that every instance of an application sees one revocation and a
 * restart forgets nothing. Each revocation is one key set with `PX` (it expires with the last
 * token it could stop); a duplicate event is caught with `SET NX`; the feed's cursor is one key.
 *
 * Takes any client with ioredis's `call(command, ...args)` (ioredis is an optional peer
 * dependency: `new Redis(url)` and pass it in); nothing here imports it.
 */
import type { Revoked, RevocationStore } from './store.ts';

/** The one method of a Redis client this store uses (ioredis's `Redis` has it). */
export interface RedisCaller {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisStoreOptions {
  /** Prefix of every key (default `support-access:`), to share a Redis with other data. */
  prefix?: string;
}

export class RedisRevocationStore implements RevocationStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisCaller,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? 'support-access:';
  }

  async revoke(kind: Revoked, id: string, ttlSeconds: number): Promise<void> {
    await this.redis.call('SET', `${this.prefix}${kind}:${id}`, '1', 'PX', Math.max(1, Math.ceil(ttlSeconds * 1000)));
  }

  async isRevoked(sessionId: string, grantId: string): Promise<boolean> {
    const n = await this.redis.call('EXISTS', `${this.prefix}session:${sessionId}`, `${this.prefix}grant:${grantId}`);
    return Number(n) > 0;
  }

  async markSeen(eventId: string, ttlSeconds: number): Promise<boolean> {
    const ok = await this.redis.call('SET', `${this.prefix}seen:${eventId}`, '1', 'PX', Math.max(1, Math.ceil(ttlSeconds * 1000)), 'NX');
    return ok === 'OK';
  }

  async getCursor(): Promise<string | null> {
    const v = await this.redis.call('GET', `${this.prefix}cursor`);
    return typeof v === 'string' ? v : v instanceof Buffer ? v.toString() : null;
  }

  async setCursor(cursor: string): Promise<void> {
    await this.redis.call('SET', `${this.prefix}cursor`, cursor);
  }
}
