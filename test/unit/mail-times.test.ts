/**
 * Times in a tenant's zone as the emails show them, at the awkward moments: past midnight in Prague
 * while UTC is still on the day before, and the hours around both of the EU's clock changes. The
 * expected text comes from the test's own reading of the EU rule (`shownPragueTime`), not from Intl.
 */
import { describe, expect, it } from 'vitest';
import { readableTime } from '../../lambdas/modules/mail/templates.ts';
import { shownPragueTime } from '../helpers/mail.ts';

const PRAGUE = 'Europe/Prague';

describe('the reading of Prague time the tests expect', () => {
  it.each([
    ['2026-12-07T22:59:00Z', 'Mon 7 Dec 2026, 22:59 UTC (23:59 Europe/Prague)'],
    ['2026-12-07T23:15:00Z', 'Mon 7 Dec 2026, 23:15 UTC (Tue 8 Dec, 00:15 Europe/Prague)'],
    ['2026-12-31T23:50:00Z', 'Thu 31 Dec 2026, 23:50 UTC (Fri 1 Jan, 00:50 Europe/Prague)'],
    ['2026-10-25T00:50:00Z', 'Sun 25 Oct 2026, 00:50 UTC (02:50 Europe/Prague)'],
    ['2026-10-25T01:50:00Z', 'Sun 25 Oct 2026, 01:50 UTC (02:50 Europe/Prague)'],
    ['2027-03-28T00:50:00Z', 'Sun 28 Mar 2027, 00:50 UTC (01:50 Europe/Prague)'],
    ['2027-03-28T01:00:00Z', 'Sun 28 Mar 2027, 01:00 UTC (03:00 Europe/Prague)'],
    ['2027-06-30T22:30:00Z', 'Wed 30 Jun 2027, 22:30 UTC (Thu 1 Jul, 00:30 Europe/Prague)'],
  ])('%s reads %s', (iso, shown) => {
    expect(shownPragueTime(iso)).toBe(shown);
  });
});

describe('readableTime in Europe/Prague', () => {
  // Every 5 minutes from 22:00 UTC to 02:00 UTC the next day, over a month's and a year's end,
  // and over both clock changes.
  const around = (iso: string) => Array.from({ length: 49 }, (_, i) => new Date(Date.parse(iso) + i * 5 * 60_000).toISOString());

  it.each([
    ['midnight in Prague, UTC still on the day before', '2026-12-07T22:00:00Z'],
    ['a year ending', '2026-12-31T22:00:00Z'],
    ['a month ending in summer time', '2027-06-30T21:00:00Z'],
    ['the change to winter time (25 Oct 2026, 03:00 CEST → 02:00 CET)', '2026-10-24T23:00:00Z'],
    ['the change to summer time (28 Mar 2027, 02:00 CET → 03:00 CEST)', '2027-03-27T23:00:00Z'],
  ])('reads each time as the tenant does around %s', (_what, from) => {
    for (const iso of around(from)) expect(readableTime(iso, PRAGUE), iso).toBe(shownPragueTime(iso));
  });
});
