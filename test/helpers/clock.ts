/** A clock the test moves, and time-ordered ids from that clock: the tests' `Clock` and `Ids`. */
import { monotonicFactory } from 'ulid';
import type { Clock, Ids } from '../../lambdas/kernel/ports.ts';

/** A clock that stands still until the test sets or advances it. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-23T14:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
  advanceMs(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  advanceSeconds(s: number): Date {
    return this.advanceMs(s * 1000);
  }
  advanceHours(h: number): Date {
    return this.advanceMs(h * 3_600_000);
  }
}

/** A small deterministic PRNG (mulberry32), so the random part of the ids repeats run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Monotonic ULIDs stamped with the fake clock's time: ids sort in the order they were made. */
export function fakeIds(clock: Clock, seed = 42): Ids {
  const next = monotonicFactory(seeded(seed));
  return { next: () => next(clock.now().getTime()) };
}
