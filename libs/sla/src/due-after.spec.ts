import { DateTime } from 'luxon';
import { defaultPolicy } from './default-policy';
import { dueAfter } from './due-dates';
import { validatePolicy } from './parse-policy';
import type { Policy, PolicyInput } from './policy.schema';
import { addWorkingTime } from './working-time';

/** A London wall-clock time as an ISO instant, so examples read as the office sees them. */
const london = (local: string) => DateTime.fromISO(local, { zone: 'Europe/London' }).toUTC().toISO();
const withSla = (policy: Policy, sla: Partial<Policy['sla']>, calendar?: PolicyInput['calendar']): Policy =>
  validatePolicy({ ...structuredClone(policy), sla: { ...structuredClone(policy.sla), ...sla }, ...(calendar ? { calendar } : {}) });
const exactPolicy = withSla(defaultPolicy, { dueAt: 'exact' });
const closurePolicy = withSla(defaultPolicy, {}, { closures: ['2026-12-24'] });
const allHours = withSla(defaultPolicy, {}, { workingHours: '24/7', bankHolidays: 'none' });
const allHoursExact = withSla(allHours, { dueAt: 'exact' });

const dueIn = (policy: Policy, from: string, iso: string) => dueAfter(policy, new Date(london(from)!), iso).toISOString();

describe('dueAfter, sla.dueAt: end_of_day (the default): day clocks are due at the close of the working day', () => {
  it.each([
    // [what, from (London time), duration, end_of_day due (London), exact due (London)]
    ['Wednesday morning + 3 working days', '2026-03-04T10:15', 'P3D', '2026-03-09T17:00', '2026-03-09T10:15'],
    ['a Friday afternoon: Monday, Tuesday, Wednesday', '2026-03-06T16:00', 'P3D', '2026-03-11T17:00', '2026-03-11T16:00'],
    ['out of hours on a weekday evening: counted from the next morning', '2026-03-03T19:30', 'P3D', '2026-03-09T17:00', '2026-03-09T09:00'],
    ['on a Saturday: counted from Monday', '2026-03-07T11:00', 'P3D', '2026-03-12T17:00', '2026-03-12T09:00'],
    ['at exactly 17:00: still that working day (intervals are closed)', '2026-03-06T17:00', 'P3D', '2026-03-11T17:00', '2026-03-11T17:00'],
    ['a second after 17:00: the next working day', '2026-03-06T17:00:01', 'P3D', '2026-03-12T17:00', '2026-03-12T09:00'],
    ['the day before Good Friday and Easter Monday 2026', '2026-04-02T15:00', 'P1D', '2026-04-07T17:00', '2026-04-07T15:00'],
    ['Christmas Eve: Christmas, the substitute Boxing Day, then New Year', '2026-12-24T16:30', 'P3D', '2026-12-31T17:00', '2026-12-31T16:30'],
    ['P0D: by the close of today', '2026-03-03T10:00', 'P0D', '2026-03-03T17:00', '2026-03-03T10:00'],
    ['P0D out of hours: by the close of the next working day', '2026-03-06T18:00', 'P0D', '2026-03-09T17:00', '2026-03-09T09:00'],
    ['spring forward (29 Mar 2026): Friday GMT to Monday BST', '2026-03-27T10:00', 'P1D', '2026-03-30T17:00', '2026-03-30T10:00'],
    ['fall back (25 Oct 2026): Friday BST to Wednesday GMT', '2026-10-23T16:00', 'P3D', '2026-10-28T17:00', '2026-10-28T16:00'],
  ])('%s', (_what, from, iso, endOfDay, exact) => {
    expect(dueIn(defaultPolicy, from, iso)).toBe(london(endOfDay));
    expect(dueIn(exactPolicy, from, iso)).toBe(london(exact));
  });

  it('a request arriving on a closure day is counted from the next working day', () => {
    // Thu 24 Dec 2026 closed; Fri 25 Christmas; Mon 28 the substitute Boxing Day: day 0 is Tue 29.
    expect(dueIn(closurePolicy, '2026-12-24T10:00', 'P1D')).toBe(london('2026-12-30T17:00'));
  });

  it.each([
    ['PT4H over a weekend', '2026-03-06T16:00', 'PT4H', '2026-03-09T12:00'],
    ['P1DT2H (a time part: to the minute)', '2026-03-06T16:00', 'P1DT2H', '2026-03-10T10:00'],
    ['P1DT0H (written with a time part)', '2026-03-06T16:00', 'P1DT0H', '2026-03-09T16:00'],
    ['PT0S out of hours: the next opening', '2026-03-06T18:00', 'PT0S', '2026-03-09T09:00'],
  ])('durations with a time part are due to the minute: %s', (_what, from, iso, due) => {
    expect(dueIn(defaultPolicy, from, iso)).toBe(london(due));
    expect(dueIn(exactPolicy, from, iso)).toBe(london(due));
  });

  it.each([
    // 24/7: the close of a day is local midnight; any time on a day + P1D is the end of the next day.
    ['Monday afternoon', '2026-03-02T14:00', 'P1D', '2026-03-04T00:00', '2026-03-03T14:00'],
    ['Monday at midnight: midnight starts the day', '2026-03-02T00:00', 'P1D', '2026-03-04T00:00', '2026-03-03T00:00'],
    ['Monday 23:59', '2026-03-02T23:59', 'P1D', '2026-03-04T00:00', '2026-03-03T23:59'],
    ['spring forward: Sunday 29 Mar 2026 has 23 hours', '2026-03-28T12:00', 'P1D', '2026-03-30T00:00', '2026-03-29T12:00'],
    ['fall back: Sunday 25 Oct 2026 has 25 hours', '2026-10-24T12:00', 'P1D', '2026-10-26T00:00', '2026-10-25T12:00'],
  ])('with 24/7 hours: %s', (_what, from, iso, endOfDay, exact) => {
    expect(dueIn(allHours, from, iso)).toBe(london(endOfDay));
    expect(dueIn(allHoursExact, from, iso)).toBe(london(exact));
  });

  it('leaves seconds-scale 24/7 clocks alone', () => {
    expect(dueIn(allHours, '2026-03-02T14:00', 'PT10S')).toBe(london('2026-03-02T14:00:10'));
  });

  it('with dueAt: exact, is addWorkingTime', () => {
    const from = new Date('2026-03-06T16:00:00Z');
    for (const iso of ['P3D', 'PT4H', 'P1DT2H', 'P10D']) expect(dueAfter(exactPolicy, from, iso)).toEqual(addWorkingTime({}, from, iso));
  });

  it('rejects a bad duration or date, naming it', () => {
    expect(() => dueAfter(defaultPolicy, new Date('2026-03-06T16:00:00Z'), 'P1W')).toThrow('"P1W" uses years, months or weeks');
    expect(() => dueAfter(defaultPolicy, new Date('nonsense'), 'P1D')).toThrow('start is not a valid Date');
  });
});
