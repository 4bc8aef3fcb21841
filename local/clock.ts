import type { Clock } from '../lambdas/kernel/ports.ts';

/** The clock of the local stack: real time plus an offset that `POST /_local/clock` moves forward. */
export class LocalClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): Date {
    this.offsetMs += seconds * 1000;
    return this.now();
  }
}
