/** The clock and the id source of the deployed functions. */
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { Clock, Ids } from '../kernel/ports.ts';

export const systemClock: Clock = { now: () => new Date() };

const pool = new Uint8Array(4096);
let poolAt = pool.length;

/**
 * A uniform number in [0, 1) from a pool of cryptographic random bytes, for ULIDs. ulid's own
 * source asks crypto for one byte per character: 16 calls, about 50 µs, per new id
 * (docs/performance.md). A byte ÷ 256 keeps every ULID character uniform (32 divides 256).
 */
export function pooledRandom(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

/** ULIDs stamped with the clock's time, so ids sort like the clock the domain sees. */
export function ulidIds(clock: Clock): Ids {
  const next = monotonicFactory(pooledRandom);
  return { next: () => next(clock.now().getTime()) };
}
