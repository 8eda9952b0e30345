import { DateTime } from 'luxon';
import { createCalendar, englandAndWalesBankHolidays, nextDate, prevDate } from './calendar';
import { addWorkingTime, workingTimeBetween } from './working-time';

// England and Wales bank holidays 2024–2030, written out independently of date-holidays
// (gov.uk list to 2027; later years from Easter dates and the substitute-day rule).
const BANK_HOLIDAYS: Record<number, string[]> = {
  2024: ['01-01', '03-29', '04-01', '05-06', '05-27', '08-26', '12-25', '12-26'],
  2025: ['01-01', '04-18', '04-21', '05-05', '05-26', '08-25', '12-25', '12-26'],
  2026: ['01-01', '04-03', '04-06', '05-04', '05-25', '08-31', '12-25', '12-28'],
  2027: ['01-01', '03-26', '03-29', '05-03', '05-31', '08-30', '12-27', '12-28'],
  2028: ['01-03', '04-14', '04-17', '05-01', '05-29', '08-28', '12-25', '12-26'],
  2029: ['01-01', '03-30', '04-02', '05-07', '05-28', '08-27', '12-25', '12-26'],
  2030: ['01-01', '04-19', '04-22', '05-06', '05-27', '08-26', '12-25', '12-26'],
};
const allHolidays = new Set(Object.entries(BANK_HOLIDAYS).flatMap(([y, days]) => days.map((d) => `${y}-${d}`)));
// Clocks change on the last Sunday of March and of October.
const CLOCK_CHANGES = [
  '2024-03-31', '2024-10-27', '2025-03-30', '2025-10-26', '2026-03-29', '2026-10-25', '2027-03-28', '2027-10-31',
  '2028-03-26', '2028-10-29', '2029-03-25', '2029-10-28', '2030-03-31', '2030-10-27',
];

const london = createCalendar({});
const ZONE = 'Europe/London';
const isWeekend = (date: string) => DateTime.fromISO(date, { zone: 'utc' }).weekday >= 6;
const isWorkingDay = (date: string) => !isWeekend(date) && !allHolidays.has(date);
const workingDayBefore = (date: string): string => { let d = prevDate(date); while (!isWorkingDay(d)) d = prevDate(d); return d; };
const workingDayAfter = (date: string): string => { let d = nextDate(date); while (!isWorkingDay(d)) d = nextDate(d); return d; };
/** A local wall time in London as a Date. */
const local = (date: string, time: string) => DateTime.fromISO(`${date}T${time}`, { zone: ZONE }).toJSDate();

describe('England and Wales bank holidays 2024–2030', () => {
  it.each(Object.keys(BANK_HOLIDAYS).map(Number))('%i matches the published list (substitute days included)', (year) => {
    // The library also lists the weekend day a substitute replaces (Sat 26 Dec 2026); gov.uk lists only the substitute.
    expect([...englandAndWalesBankHolidays(year)].filter((d) => !isWeekend(d)).sort()).toEqual(BANK_HOLIDAYS[year].map((d) => `${year}-${d}`));
  });

  it.each([...allHolidays])('%s is not working time, and the working days either side are', (holiday) => {
    expect(london.intervalOn(holiday)).toBeNull();
    const before = workingDayBefore(holiday);
    const after = workingDayAfter(holiday);
    // Last working hour before the holiday + PT2H: one hour each side of it.
    expect(addWorkingTime(london, local(before, '16:00'), 'PT2H')).toEqual(local(after, '10:00'));
    expect(addWorkingTime(london, local(before, '11:00'), 'P1D')).toEqual(local(after, '11:00'));
  });
});

describe('clock changes 2024–2030 (Europe/London)', () => {
  it.each(CLOCK_CHANGES)('%s: working time is exact across the change', (sunday) => {
    // The offset really changes that weekend.
    expect(DateTime.fromISO(`${sunday}T00:30`, { zone: ZONE }).offset).not.toBe(DateTime.fromISO(`${sunday}T03:00`, { zone: ZONE }).offset);
    const before = workingDayBefore(sunday);
    const after = workingDayAfter(sunday);
    expect(addWorkingTime(london, local(before, '15:00'), 'PT4H')).toEqual(local(after, '11:00'));
    expect(addWorkingTime(london, local(before, '10:00'), 'P1D')).toEqual(local(after, '10:00'));
    expect(addWorkingTime(london, local(before, '16:00'), 'P1DT2H')).toEqual(local(workingDayAfter(after), '10:00'));
    expect(workingTimeBetween(london, local(before, '09:00'), local(after, '17:00'))).toBe(16 * 3_600_000);
  });
});

describe('createCalendar', () => {
  it('rejects a config it cannot use, naming the value', () => {
    expect(() => createCalendar({ timezone: 'Mars/Olympus' })).toThrow('calendar: "Mars/Olympus" is not an IANA time zone (e.g. Europe/London)');
    expect(() => createCalendar({ workingHours: { mon: ['17:00', '09:00'] } })).toThrow('calendar: working hours must end after they start, got 17:00–09:00');
    expect(() => createCalendar({ closures: ['24/12/2026'] })).toThrow('calendar: "24/12/2026" is not a date YYYY-MM-DD');
  });

  it('reports closures and bank holidays as closed days', () => {
    const cal = createCalendar({ closures: ['2026-12-24'] });
    expect(['2026-12-23', '2026-12-24', '2026-12-25', '2026-12-26', '2026-12-28'].map(cal.isClosed)).toEqual([false, true, true, true, true]);
    expect(createCalendar({ bankHolidays: 'none' }).isClosed('2026-12-25')).toBe(false);
  });
});
