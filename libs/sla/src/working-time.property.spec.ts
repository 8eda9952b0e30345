import fc from 'fast-check';
import { createCalendar, nextDate, prevDate, WorkingCalendar } from './calendar';
import { addWorkingTime, workingTimeBetween } from './working-time';

// Bounded runs: the whole libs/sla suite should stay within a few seconds.
const RUNS = { numRuns: 150 };
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2030, 11, 20);

const calendars: [string, WorkingCalendar][] = [
  ['Mon–Fri 09:00–17:00 London, bank holidays', createCalendar({})],
  ['uneven hours incl. Saturday, closures', createCalendar({
    workingHours: { mon: ['08:30', '17:30'], tue: ['09:00', '13:00'], wed: ['10:00', '16:00'], thu: ['09:00', '17:00'], sat: ['09:00', '12:00'] },
    closures: ['2026-12-24', '2027-12-24', '2028-08-29'],
  })],
  ['24/7 with bank holidays', createCalendar({ workingHours: '24/7' })],
  ['New York 08:00–16:30, no holidays', createCalendar({ timezone: 'America/New_York', workingHours: { mon: ['08:00', '16:30'], tue: ['08:00', '16:30'], wed: ['08:00', '16:30'], thu: ['08:00', '16:30'], fri: ['08:00', '16:30'] }, bankHolidays: 'none' })],
];

const instant = fc.integer({ min: FROM, max: TO }).map((t) => new Date(t));
/** A start inside working time: the next working-time start plus up to ~7 working hours. */
const workingStart = (cal: WorkingCalendar) =>
  fc.tuple(instant, fc.integer({ min: 0, max: 7 * 3600 })).map(([t, s]) => addWorkingTime(cal, t, `PT${s}S`));
/** Hour-based durations, as whole milliseconds. */
const millis = fc.integer({ min: 0, max: 60 * 3_600_000 });
const iso = (ms: number) => `PT${ms / 1000}S`;
const hms = fc.tuple(fc.nat(40), fc.nat(59), fc.nat(59)).map(([h, m, s]) => ({ text: `PT${h}H${m}M${s}S`, ms: ((h * 60 + m) * 60 + s) * 1000 }));
const anyDuration = fc.oneof(
  hms.map((d) => d.text),
  fc.nat(20).map((d) => `P${d}D`),
  fc.tuple(fc.nat(20), fc.nat(12)).map(([d, h]) => `P${d}DT${h}H`),
);

/** Whether t lies in a working interval (closed: 17:00 is still Friday's working time). */
function isWorkingTime(cal: WorkingCalendar, t: Date): boolean {
  const utc = t.toISOString().slice(0, 10);
  return [prevDate(prevDate(utc)), prevDate(utc), utc, nextDate(utc)].some((date) => {
    const iv = cal.intervalOn(date);
    return iv !== null && iv[0] <= t.getTime() && t.getTime() <= iv[1];
  });
}

describe.each(calendars)('working time properties: %s', (_name, cal) => {
  it('a result measured from working time is in working time', () => {
    fc.assert(fc.property(workingStart(cal), anyDuration, (s, d) => isWorkingTime(cal, addWorkingTime(cal, s, d))), RUNS);
  });

  it('any result is in working time, whatever the start', () => {
    fc.assert(fc.property(instant, anyDuration, (s, d) => isWorkingTime(cal, addWorkingTime(cal, s, d))), RUNS);
  });

  it('add(a + b) == add(add(a), b) for hour-based durations', () => {
    fc.assert(
      fc.property(instant, millis, millis, (s, a, b) =>
        addWorkingTime(cal, s, iso(a + b)).getTime() === addWorkingTime(cal, addWorkingTime(cal, s, iso(a)), iso(b)).getTime()),
      RUNS,
    );
  });

  it('workingTimeBetween(s, add(s, d)) == d from working-time starts', () => {
    fc.assert(fc.property(workingStart(cal), hms, (s, d) => workingTimeBetween(cal, s, addWorkingTime(cal, s, d.text)) === d.ms), RUNS);
  });

  it('a later start never gives an earlier result', () => {
    // Days are "same clock time", which is not monotonic in the hour the clocks go back when that
    // hour is working time (24/7); elsewhere it is, so only 24/7 is limited to hour-based durations.
    const durations = cal.config.workingHours === '24/7' ? hms.map((d) => d.text) : anyDuration;
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 10 * 86_400_000 }), durations, (s, gap, d) =>
        addWorkingTime(cal, new Date(s.getTime() + gap), d) >= addWorkingTime(cal, s, d)),
      RUNS,
    );
  });

  it('a longer duration never gives an earlier result', () => {
    fc.assert(
      fc.property(instant, fc.nat(20), fc.nat(20), millis, millis, (s, d1, d2, a, b) => {
        const [days, more] = [Math.min(d1, d2), Math.max(d1, d2)];
        const [ms, longer] = [Math.min(a, b), Math.max(a, b)];
        return addWorkingTime(cal, s, `P${more}DT${longer / 1000}S`) >= addWorkingTime(cal, s, `P${days}DT${ms / 1000}S`);
      }),
      RUNS,
    );
  });
});
