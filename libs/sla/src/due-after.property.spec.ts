import fc from 'fast-check';
import { DateTime } from 'luxon';
import { prevDate } from './calendar';
import { calendarOf, dueAfter } from './due-dates';
import { dueInWords } from './due-in-words';
import { validatePolicy } from './parse-policy';
import type { PolicyInput } from './policy.schema';
import { addWorkingTime } from './working-time';

// Bounded runs: the whole libs/sla suite should stay within a few seconds.
const RUNS = { numRuns: 100 };
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2030, 11, 20);

const policyWith = (calendar: PolicyInput['calendar']) =>
  validatePolicy({
    calendar,
    sla: { default: { firstResponse: 'P3D', resolution: 'P10D' } },
    unanswered: { threshold: 3 },
    escalation: { chain: [{ role: 'team_manager', ackWithin: 'P1D', respondWithin: 'P1D' }] },
  });
const policies = [
  ['Mon–Fri 09:00–17:00 London, bank holidays', policyWith({})],
  ['uneven hours incl. Saturday, closures', policyWith({
    workingHours: { mon: ['08:30', '17:30'], tue: ['09:00', '13:00'], wed: ['10:00', '16:00'], thu: ['09:00', '17:00'], sat: ['09:00', '12:00'] },
    closures: ['2026-12-24', '2027-12-24', '2028-08-29'],
  })],
  ['24/7 London with bank holidays', policyWith({ workingHours: '24/7' })],
  ['24/7 London, no holidays', policyWith({ workingHours: '24/7', bankHolidays: 'none' })],
  ['New York 08:00–16:30, no holidays', policyWith({ timezone: 'America/New_York', workingHours: { mon: ['08:00', '16:30'], tue: ['08:00', '16:30'], wed: ['08:00', '16:30'], thu: ['08:00', '16:30'], fri: ['08:00', '16:30'] }, bankHolidays: 'none' })],
] as const;

const instant = fc.integer({ min: FROM, max: TO }).map((t) => new Date(t));
const dayDuration = fc.nat(20).map((d) => `P${d}D`);
const anyDuration = fc.oneof(
  dayDuration,
  fc.tuple(fc.nat(40), fc.nat(59)).map(([h, m]) => `PT${h}H${m}M`),
  fc.tuple(fc.nat(20), fc.nat(12)).map(([d, h]) => `P${d}DT${h}H`),
);

describe.each(policies)('dueAfter, end_of_day, %s', (_name, policy) => {
  const calendar = calendarOf(policy);

  it('is never earlier than the exact due time', () =>
    fc.assert(fc.property(instant, anyDuration, (from, iso) => {
      expect(dueAfter(policy, from, iso).getTime()).toBeGreaterThanOrEqual(addWorkingTime(calendar, from, iso).getTime());
    }), RUNS));

  it('for whole days, is the end of the working interval that holds the exact due time, on its local date', () =>
    fc.assert(fc.property(instant, dayDuration, (from, iso) => {
      const exact = addWorkingTime(calendar, from, iso).getTime();
      const due = dueAfter(policy, from, iso).getTime();
      const date = DateTime.fromMillis(exact, { zone: calendar.timezone }).toISODate()!;
      const own = calendar.intervalOn(date);
      if (own && own[0] <= exact && exact <= own[1]) {
        // The exact due time's local date is its working day: due at that day's close.
        expect(due).toBe(own[1]);
      } else {
        // Only a close at midnight ("24:00") lies on the next local date: it is its own day's end.
        const before = calendar.intervalOn(prevDate(date));
        expect(before?.[1]).toBe(exact);
        expect(due).toBe(exact);
      }
    }), RUNS));

  it('in words, a day clock is "by the end of" the exact due time\'s working day', () =>
    fc.assert(fc.property(instant, dayDuration, (from, iso) => {
      const exact = addWorkingTime(calendar, from, iso).getTime();
      const local = DateTime.fromMillis(exact, { zone: calendar.timezone });
      const own = calendar.intervalOn(local.toISODate()!);
      const day = own && own[0] <= exact && exact <= own[1] ? local : local.minus({ days: 1 });
      expect(dueInWords(dueAfter(policy, from, iso), policy)).toBe(`by the end of ${day.setLocale('en-GB').toFormat('cccc d LLLL')}`);
    }), RUNS));

  it('leaves durations with a time part exact', () =>
    fc.assert(fc.property(instant, fc.tuple(fc.nat(20), fc.integer({ min: 0, max: 30 })), (from, [d, h]) => {
      const iso = d ? `P${d}DT${h}H` : `PT${h}H`;
      expect(dueAfter(policy, from, iso)).toEqual(addWorkingTime(calendar, from, iso));
    }), RUNS));

  it('with dueAt: exact, is the exact due time', () => {
    const exact = validatePolicy({ ...structuredClone(policy), sla: { ...structuredClone(policy.sla), dueAt: 'exact' } });
    fc.assert(fc.property(instant, anyDuration, (from, iso) => {
      expect(dueAfter(exact, from, iso)).toEqual(addWorkingTime(calendar, from, iso));
    }), RUNS);
  });
});
