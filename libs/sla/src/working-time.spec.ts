import { createCalendar, DEFAULT_WORKING_HOURS } from './calendar';
import { addWorkingTime, endOfWorkingDay, workingTimeBetween } from './working-time';

// London is UTC in winter (GMT) and UTC+1 in summer (BST): instants below are written in UTC,
// comments give the local time.
const london = createCalendar({ timezone: 'Europe/London', workingHours: DEFAULT_WORKING_HOURS, bankHolidays: 'england-and-wales' });
const withClosure = createCalendar({ closures: ['2026-12-24'] });
const always = createCalendar({ workingHours: '24/7', bankHolidays: 'none' });
const alwaysButHolidays = createCalendar({ workingHours: '24/7', bankHolidays: 'england-and-wales' });
const H = 3_600_000;

const add = (cal = london) => (start: string, duration: string) => addWorkingTime(cal, new Date(start), duration).toISOString();

describe('addWorkingTime, Mon–Fri 09:00–17:00 Europe/London with England and Wales bank holidays', () => {
  it.each([
    // Christmas 2026: Fri 25 Dec, Sat 26 Dec (Boxing Day), substitute day Mon 28 Dec.
    ['Thu 24 Dec 2026 16:30 + PT4H skips 25–28 Dec', '2026-12-24T16:30:00Z', 'PT4H', '2026-12-29T12:30:00.000Z'],
    ['Thu 24 Dec 2026 16:30 + P1D is Tue 29 Dec 16:30', '2026-12-24T16:30:00Z', 'P1D', '2026-12-29T16:30:00.000Z'],
    ['Sat 26 Dec 2026 10:00 + PT1H starts Tue 29 Dec', '2026-12-26T10:00:00Z', 'PT1H', '2026-12-29T10:00:00.000Z'],
    ['Mon 28 Dec 2026 (substitute day) 11:00 + P1D', '2026-12-28T11:00:00Z', 'P1D', '2026-12-30T09:00:00.000Z'],
    // Christmas 2027: Sat 25 and Sun 26 Dec, so Mon 27 and Tue 28 Dec are both substitute days.
    ['Fri 24 Dec 2027 10:00 + P1D is Wed 29 Dec 10:00', '2027-12-24T10:00:00Z', 'P1D', '2027-12-29T10:00:00.000Z'],
    ['Fri 24 Dec 2027 15:00 + PT4H is Wed 29 Dec 11:00', '2027-12-24T15:00:00Z', 'PT4H', '2027-12-29T11:00:00.000Z'],
    ['Mon 27 Dec 2027 12:00 (substitute) + PT1H', '2027-12-27T12:00:00Z', 'PT1H', '2027-12-29T10:00:00.000Z'],
    // Easter 2027: Good Friday 26 Mar, clocks go forward Sun 28 Mar, Easter Monday 29 Mar.
    ['Thu 25 Mar 2027 15:00 GMT + PT4H is Tue 30 Mar 11:00 BST', '2027-03-25T15:00:00Z', 'PT4H', '2027-03-30T10:00:00.000Z'],
    ['Thu 25 Mar 2027 10:00 GMT + P1D is Tue 30 Mar 10:00 BST', '2027-03-25T10:00:00Z', 'P1D', '2027-03-30T09:00:00.000Z'],
    // Good Friday 2026 (3 Apr) begins at 23:00Z on Thu 2 Apr: Thu 2 Apr must still be a working day.
    ['Thu 2 Apr 2026 16:00 BST + PT1H ends Thu 17:00 BST', '2026-04-02T15:00:00Z', 'PT1H', '2026-04-02T16:00:00.000Z'],
    ['Thu 2 Apr 2026 16:00 BST + PT2H is Tue 7 Apr 10:00 BST', '2026-04-02T15:00:00Z', 'PT2H', '2026-04-07T09:00:00.000Z'],
    // Clocks go forward Sun 29 Mar 2026.
    ['Fri 27 Mar 2026 15:00 GMT + PT4H is Mon 30 Mar 11:00 BST', '2026-03-27T15:00:00Z', 'PT4H', '2026-03-30T10:00:00.000Z'],
    ['Fri 27 Mar 2026 10:00 GMT + P1D is Mon 30 Mar 10:00 BST', '2026-03-27T10:00:00Z', 'P1D', '2026-03-30T09:00:00.000Z'],
    // Clocks go back Sun 25 Oct 2026.
    ['Fri 23 Oct 2026 15:00 BST + PT4H is Mon 26 Oct 11:00 GMT', '2026-10-23T14:00:00Z', 'PT4H', '2026-10-26T11:00:00.000Z'],
    ['Fri 23 Oct 2026 10:00 BST + P1D is Mon 26 Oct 10:00 GMT', '2026-10-23T09:00:00Z', 'P1D', '2026-10-26T10:00:00.000Z'],
    // Clocks go back Sun 31 Oct 2027.
    ['Fri 29 Oct 2027 16:00 BST + P1DT2H is Tue 2 Nov 10:00 GMT', '2027-10-29T15:00:00Z', 'P1DT2H', '2027-11-02T10:00:00.000Z'],
    // Starting outside working time moves to the next working-time start first.
    ['Sat 9 Jan 2027 12:00 + P1D is Tue 12 Jan 09:00', '2027-01-09T12:00:00Z', 'P1D', '2027-01-12T09:00:00.000Z'],
    ['Mon 11 Jan 2027 08:00 + P1D is Tue 12 Jan 09:00', '2027-01-11T08:00:00Z', 'P1D', '2027-01-12T09:00:00.000Z'],
    ['Mon 11 Jan 2027 18:00 + P1D is Wed 13 Jan 09:00', '2027-01-11T18:00:00Z', 'P1D', '2027-01-13T09:00:00.000Z'],
    ['Sun 10 Jan 2027 12:00 + PT0S is Mon 11 Jan 09:00', '2027-01-10T12:00:00Z', 'PT0S', '2027-01-11T09:00:00.000Z'],
    // A due time at the end of the day stays there rather than jumping to the next morning.
    ['Mon 11 Jan 2027 13:00 + PT4H is Mon 17:00', '2027-01-11T13:00:00Z', 'PT4H', '2027-01-11T17:00:00.000Z'],
    ['Mon 11 Jan 2027 17:00 + P1D is Tue 17:00', '2027-01-11T17:00:00Z', 'P1D', '2027-01-12T17:00:00.000Z'],
    ['Mon 11 Jan 2027 16:00 + P1DT2H is Wed 10:00', '2027-01-11T16:00:00Z', 'P1DT2H', '2027-01-13T10:00:00.000Z'],
    ['Mon 11 Jan 2027 10:00 + P10D is Mon 25 Jan 10:00', '2027-01-11T10:00:00Z', 'P10D', '2027-01-25T10:00:00.000Z'],
    ['Mon 11 Jan 2027 10:00 + PT90M30.25S', '2027-01-11T10:00:00Z', 'PT90M30.25S', '2027-01-11T11:30:30.250Z'],
  ])('%s', (_name, start, duration, expected) => expect(add()(start, duration)).toBe(expected));

  it('treats a closure day from config like a bank holiday', () => {
    // Wed 23 Dec 2026 16:00: 1h left; Thu 24 closed; Fri 25 and Mon 28 bank holidays.
    expect(add(withClosure)('2026-12-23T16:00:00Z', 'PT2H')).toBe('2026-12-29T10:00:00.000Z');
    expect(add(withClosure)('2026-12-23T10:00:00Z', 'P1D')).toBe('2026-12-29T10:00:00.000Z');
    expect(add()('2026-12-23T16:00:00Z', 'PT2H')).toBe('2026-12-24T10:00:00.000Z');
  });

  it('clamps the clock time into the next working day when days have different hours', () => {
    const uneven = createCalendar({ workingHours: { mon: ['09:00', '17:00'], tue: ['10:00', '12:00'] }, bankHolidays: 'none' });
    expect(add(uneven)('2027-01-11T16:00:00Z', 'P1D')).toBe('2027-01-12T12:00:00.000Z');
    expect(add(uneven)('2027-01-11T09:00:00Z', 'P1D')).toBe('2027-01-12T10:00:00.000Z');
    expect(add(uneven)('2027-01-11T11:00:00Z', 'P1D')).toBe('2027-01-12T11:00:00.000Z');
  });

  it('works in other time zones', () => {
    const newYork = createCalendar({ timezone: 'America/New_York', bankHolidays: 'none' });
    // Fri 6 Mar 2026 15:00 EST (20:00Z); US clocks go forward Sun 8 Mar: Mon 11:00 EDT = 15:00Z.
    expect(add(newYork)('2026-03-06T20:00:00Z', 'PT4H')).toBe('2026-03-09T15:00:00.000Z');
  });

  it('names an invalid duration', () => {
    expect(() => add()('2027-01-11T10:00:00Z', 'P1X')).toThrow('"P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)');
    expect(() => addWorkingTime(london, new Date('nonsense'), 'P1D')).toThrow('start is not a valid Date');
  });
});

describe('addWorkingTime, "24/7"', () => {
  it.each([
    ['PT10S is ten seconds', '2026-06-01T12:00:00Z', 'PT10S', '2026-06-01T12:00:10.000Z'],
    ['PT0.5S is half a second', '2026-06-01T12:00:00Z', 'PT0.5S', '2026-06-01T12:00:00.500Z'],
    ['PT10S across the spring-forward instant', '2026-03-29T00:59:55Z', 'PT10S', '2026-03-29T01:00:05.000Z'],
    ['PT25H across the fall-back day is 25 elapsed hours', '2026-10-24T12:00:00Z', 'PT25H', '2026-10-25T13:00:00.000Z'],
    ['P1D across spring-forward is the same clock time, 23h later', '2026-03-28T12:00:00Z', 'P1D', '2026-03-29T11:00:00.000Z'],
    ['Sat 12:00 + P1D is Sun 12:00 (weekends count)', '2027-01-09T12:00:00Z', 'P1D', '2027-01-10T12:00:00.000Z'],
    ['Christmas Day counts with bankHolidays none', '2026-12-24T23:00:00Z', 'PT2H', '2026-12-25T01:00:00.000Z'],
  ])('%s', (_name, start, duration, expected) => expect(add(always)(start, duration)).toBe(expected));

  it('still skips bank holidays when they are configured', () => {
    // 25 Dec 2026 (Fri) and 26 Dec (Sat) are holidays; Sun 27 Dec is working time; Mon 28 is a substitute day.
    expect(add(alwaysButHolidays)('2026-12-24T23:00:00Z', 'PT2H')).toBe('2026-12-27T01:00:00.000Z');
    expect(add(alwaysButHolidays)('2026-12-27T23:00:00Z', 'PT2H')).toBe('2026-12-29T01:00:00.000Z');
  });

  it('supports a working day ending at 24:00', () => {
    const lateMonday = createCalendar({ workingHours: { mon: ['20:00', '24:00'] }, bankHolidays: 'none' });
    expect(add(lateMonday)('2027-01-11T20:00:00Z', 'PT4H')).toBe('2027-01-12T00:00:00.000Z');
    expect(add(lateMonday)('2027-01-11T20:00:00Z', 'P1D')).toBe('2027-01-18T20:00:00.000Z');
    expect(add(lateMonday)('2027-01-12T00:00:00Z', 'P1D')).toBe('2027-01-19T00:00:00.000Z');
  });
});

describe('workingTimeBetween', () => {
  const between = (cal = london) => (a: string, b: string) => workingTimeBetween(cal, new Date(a), new Date(b));

  it.each([
    ['Thu 24 Dec 2026 09:00 → Tue 29 Dec 10:00 (Christmas, substitute day)', '2026-12-24T09:00:00Z', '2026-12-29T10:00:00Z', 9 * H],
    ['across the spring-forward weekend 2026', '2026-03-27T09:00:00Z', '2026-03-30T16:00:00Z', 16 * H],
    ['across the fall-back weekend 2026', '2026-10-23T08:00:00Z', '2026-10-26T17:00:00Z', 16 * H],
    ['Easter 2027: Thu 25 Mar 12:00 GMT → Tue 30 Mar 12:00 BST', '2027-03-25T12:00:00Z', '2027-03-30T11:00:00Z', 8 * H],
    ['within one working day', '2027-01-11T10:15:00Z', '2027-01-11T11:45:30Z', 1.5 * H + 30_000],
    ['all of 2027: 261 weekdays less 8 weekday bank holidays', '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z', 253 * 8 * H],
    ['over a weekend only', '2027-01-09T00:00:00Z', '2027-01-11T00:00:00Z', 0],
    ['b before a is 0', '2027-01-12T10:00:00Z', '2027-01-11T10:00:00Z', 0],
    ['b equal to a is 0', '2027-01-12T10:00:00Z', '2027-01-12T10:00:00Z', 0],
  ])('%s', (_name, a, b, expected) => expect(between()(a, b)).toBe(expected));

  it('is elapsed time with "24/7" and no holidays, whatever the clocks do', () => {
    expect(between(always)('2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toBe(24 * H);
    expect(between(always)('2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toBe(24 * H);
    expect(between(always)('2026-06-01T12:00:00Z', '2026-06-01T12:00:10Z')).toBe(10_000);
  });

  it('skips a closure day from config', () => {
    expect(between(withClosure)('2026-12-23T09:00:00Z', '2026-12-30T09:00:00Z')).toBe(2 * 8 * H);
  });
});

describe('endOfWorkingDay: the close of the working day holding an instant', () => {
  const end = (cal = london) => (at: string) => endOfWorkingDay(cal, new Date(at)).toISOString();
  it.each([
    ['Tue 3 Mar 2026 10:00 GMT: 17:00 that day', london, '2026-03-03T10:00:00Z', '2026-03-03T17:00:00.000Z'],
    ['Tue 2 Jun 2026 10:00 BST: 17:00 BST', london, '2026-06-02T09:00:00Z', '2026-06-02T16:00:00.000Z'],
    ['at 17:00 exactly: that same close (intervals are closed)', london, '2026-03-03T17:00:00Z', '2026-03-03T17:00:00.000Z'],
    ['Tue 18:00: the next working day\'s close', london, '2026-03-03T18:00:00Z', '2026-03-04T17:00:00.000Z'],
    ['Thu 24 Dec 2026, a closure day: Tue 29 Dec', withClosure, '2026-12-24T10:00:00Z', '2026-12-29T17:00:00.000Z'],
    ['24/7 Mon 14:00: local midnight', always, '2026-03-02T14:00:00Z', '2026-03-03T00:00:00.000Z'],
    ['24/7 at midnight: it starts the day', always, '2026-03-03T00:00:00Z', '2026-03-04T00:00:00.000Z'],
    ['24/7 Sun 29 Mar 2026 (23 hours): its midnight is BST', always, '2026-03-29T12:00:00Z', '2026-03-29T23:00:00.000Z'],
    ['24/7 with holidays, Christmas Eve 2026: its own midnight', alwaysButHolidays, '2026-12-24T20:00:00Z', '2026-12-25T00:00:00.000Z'],
    ['24/7 with holidays, on Christmas Day: the close of Sun 27 Dec (Sat 26 is Boxing Day)', alwaysButHolidays, '2026-12-25T12:00:00Z', '2026-12-28T00:00:00.000Z'],
  ])('%s', (_name, cal, at, expected) => expect(end(cal)(at)).toBe(expected));
});

describe('speed', () => {
  it('computes thousands of due dates quickly', () => {
    const cal = createCalendar({});
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) addWorkingTime(cal, new Date(Date.UTC(2026, 0, 1) + i * 3_517_000), i % 2 ? 'P15D' : 'PT30H');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
