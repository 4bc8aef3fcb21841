import type { Clock } from '../lambdas/kernel/ports.ts';

/**
 * The clock of the local stack: real time plus an offset that `POST /_local/clock` moves forward.
 * `start` sets the instant it reads now (it then runs on from there at real speed), so a test can
 * run at 23:50 UTC or just before a daylight-saving change whatever the hour it runs at.
 */
export class LocalClock implements Clock {
  private offsetMs = 0;
  constructor(start?: Date | string) {
    if (start === undefined) return;
    const at = new Date(start).getTime();
    if (Number.isNaN(at)) throw new Error(`the clock's start is not a time: ${String(start)}`);
    this.offsetMs = at - Date.now();
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): Date {
    this.offsetMs += seconds * 1000;
    return this.now();
  }
}
