import { DateTime } from 'luxon';
import { CalendarConfig, createCalendar, Interval, nextDate, prevDate, WorkingCalendar } from './calendar';
import { parseWorkingDuration } from './duration';

// A calendar with no working time at all would loop forever; ten years of nothing is a config error.
const MAX_DAYS_SEARCHED = 3660;

const built = new WeakMap<object, WorkingCalendar>();
const isBuilt = (c: WorkingCalendar | CalendarConfig): c is WorkingCalendar => typeof (c as WorkingCalendar).intervalOn === 'function';
/** Accepts a built calendar or a plain config (built once per config object). */
export function toCalendar(calendar: WorkingCalendar | CalendarConfig): WorkingCalendar {
  if (isBuilt(calendar)) return calendar;
  let cal = built.get(calendar);
  if (!cal) built.set(calendar, (cal = createCalendar(calendar)));
  return cal;
}

// An instant's local date is its UTC date or a neighbour (offsets are within ±14h). Scanning from two
// days before the UTC date costs two cached lookups and saves a slow time-zone conversion per call.
const scanStart = (t: number): string => prevDate(prevDate(new Date(t).toISOString().slice(0, 10)));
const scanEnd = (t: number): string => nextDate(new Date(t).toISOString().slice(0, 10));
const millisOf = (d: Date, name: string): number => {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (Number.isNaN(t)) throw new RangeError(`${name} is not a valid Date`);
  return t;
};

/**
 * The first working instant at or after t, with the local date whose interval holds it.
 * Intervals are closed: 17:00 on a 09:00–17:00 day is still in that day (a due time of 17:00).
 */
function firstWorkingPoint(cal: WorkingCalendar, t: number): { t: number; date: string; interval: Interval } {
  // Scan from before t's local date: an interval ending at "24:00" ends on the next local date.
  let date = scanStart(t);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++, date = nextDate(date)) {
    const interval = cal.intervalOn(date);
    if (!interval || interval[1] < t) continue;
    if (interval[1] === t) {
      // At the very end of one interval and the start of the next (24/7): prefer the next one.
      const following = cal.intervalOn(nextDate(date));
      if (following && following[0] <= t) return { t, date: nextDate(date), interval: following };
    }
    return { t: Math.max(t, interval[0]), date, interval };
  }
  throw new RangeError(`calendar has no working time within ${MAX_DAYS_SEARCHED} days of ${new Date(t).toISOString()}`);
}

/** Whether the clocks change inside a working interval (elapsed time differs from wall-clock time). */
const clocksChangeWithin = (interval: Interval, wall: Interval): boolean => interval[1] - interval[0] !== wall[1] - wall[0];

function addWorkingDays(cal: WorkingCalendar, t: number, days: number): number {
  const point = firstWorkingPoint(cal, t);
  if (days === 0) return point.t;
  let date = point.date;
  let interval: Interval | null = null;
  for (let n = 0, searched = 0; n < days; searched++) {
    if (searched > MAX_DAYS_SEARCHED) throw new RangeError(`calendar has no working days within ${MAX_DAYS_SEARCHED} days`);
    date = nextDate(date);
    interval = cal.intervalOn(date);
    if (interval) n++;
  }
  const target = interval!;
  const fromWall = cal.wallClockOn(point.date)!;
  const toWall = cal.wallClockOn(date)!;
  const clamp = (x: number) => Math.min(Math.max(x, target[0]), target[1]);
  // Days with different hours: a clock time outside the target day's hours is clamped into them.
  if (!clocksChangeWithin(point.interval, fromWall) && !clocksChangeWithin(target, toWall)) {
    // Fast path (every 09:00–17:00 day): wall-clock time is interval start + elapsed on both days.
    const clock = fromWall[0] + (point.t - point.interval[0]);
    return clamp(target[0] + (clock - toWall[0]));
  }
  // The clocks change inside a working day (24/7 and night hours): let luxon map the wall-clock time.
  const local = DateTime.fromMillis(point.t, { zone: cal.timezone });
  if (local.toISODate() !== point.date) return target[1]; // "24:00": the end of the day maps to the end of the day
  const [year, month, day] = date.split('-').map(Number);
  const sameClock = DateTime.fromObject(
    { year, month, day, hour: local.hour, minute: local.minute, second: local.second, millisecond: local.millisecond },
    { zone: cal.timezone },
  ).toMillis();
  return clamp(sameClock);
}

function addWorkingMillis(cal: WorkingCalendar, t: number, ms: number): number {
  let { t: at, date, interval } = firstWorkingPoint(cal, t);
  let remaining = ms;
  for (let searched = 0; ; searched++) {
    const available = interval[1] - at;
    if (remaining <= available) return at + remaining;
    remaining -= available;
    // Step a working interval at a time, never minute by minute.
    let next: Interval | null = null;
    for (; !next; searched++) {
      if (searched > MAX_DAYS_SEARCHED * 100) throw new RangeError('calendar ran out of working time');
      date = nextDate(date);
      next = cal.intervalOn(date);
    }
    interval = next;
    at = interval[0];
  }
}

/**
 * The instant `isoDuration` of working time after `start`.
 * Days first: P1D is the same clock time on the next working day (a start outside working time first
 * moves to the next working-time start). Then hours/minutes/seconds are counted in working time.
 * A result that lands exactly at the end of a working day stays there (Fri 17:00, not Mon 09:00).
 * PT0S from outside working time gives the next working-time start.
 * Only where working time covers the small hours (24/7): a clock time the spring change skips moves
 * forward by the gap (luxon's rule, as Temporal's "compatible"), and the hour the autumn change repeats
 * maps to its first occurrence, so P1D is then not monotonic in the start within that hour.
 */
export function addWorkingTime(calendar: WorkingCalendar | CalendarConfig, start: Date, isoDuration: string): Date {
  const cal = toCalendar(calendar);
  const { days, ms } = parseWorkingDuration(isoDuration);
  const afterDays = addWorkingDays(cal, millisOf(start, 'start'), days);
  return new Date(addWorkingMillis(cal, afterDays, ms));
}

/**
 * The end of the working day that holds `at` (the close of its working interval), or of the next working
 * day when `at` is outside working time. At a boundary the library's rule applies: 17:00 is still
 * Friday's (intervals are closed), while with 24/7 hours midnight starts the next day.
 */
export function endOfWorkingDay(calendar: WorkingCalendar | CalendarConfig, at: Date): Date {
  return new Date(firstWorkingPoint(toCalendar(calendar), millisOf(at, 'at')).interval[1]);
}

/** Working milliseconds in [a, b]; 0 when b <= a (never negative). */
export function workingTimeBetween(calendar: WorkingCalendar | CalendarConfig, a: Date, b: Date): number {
  const cal = toCalendar(calendar);
  const from = millisOf(a, 'a');
  const to = millisOf(b, 'b');
  if (to <= from) return 0;
  let total = 0;
  const lastDate = scanEnd(to);
  for (let date = scanStart(from); ; date = nextDate(date)) {
    const interval = cal.intervalOn(date);
    if (interval) total += Math.max(0, Math.min(to, interval[1]) - Math.max(from, interval[0]));
    if (date === lastDate) return total;
  }
}
