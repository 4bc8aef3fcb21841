/** Ids: ULIDs from a pooled random source, still uniform, unique and in clock order. */
import { describe, expect, it } from 'vitest';
import { pooledRandom, ulidIds } from '../../lambdas/runtime/index.ts';

describe('ulidIds', () => {
  it('makes unique ULIDs that sort like the clock', () => {
    // Prepare
    let now = Date.parse('2026-11-23T12:00:00.000Z');
    const ids = ulidIds({ now: () => new Date(now) });
    // Act: several per millisecond, over many milliseconds (a pool refill among them)
    const made: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) now += 1;
      made.push(ids.next());
    }
    // Assess
    expect(made.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });

  it('draws every ULID character about equally often', () => {
    // Act: 64,000 draws as ulid turns them into one of 32 characters
    // (one expect over all the draws, not 128,000: under load those alone passed the 5 s timeout)
    const counts = new Array<number>(32).fill(0);
    let outside = 0;
    for (let i = 0; i < 64_000; i++) {
      const r = pooledRandom();
      if (!(r >= 0 && r < 1)) outside++;
      else counts[Math.floor(r * 32)]!++;
    }
    // Assess: every draw in [0, 1); 2,000 expected each; a fair source stays well within ±15 %
    expect(outside).toBe(0);
    expect(Math.min(...counts)).toBeGreaterThan(1700);
    expect(Math.max(...counts)).toBeLessThan(2300);
  });
});
