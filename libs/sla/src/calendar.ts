import { DateTime, IANAZone } from 'luxon';
import Holidays from 'date-holidays';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** "HH:MM" local clock times; end may be "24:00" (midnight at the end of the day). */
export type WorkingDayHours = readonly [start: string, end: string];
export type WorkingHours = '24/7' | Partial<Record<Weekday, WorkingDayHours>>;
export type BankHolidays = 'england-and-wales' | 'none';

export interface CalendarConfig {
  /** IANA zone, default Europe/London. */
  timezone?: string;
  /** Days absent are not working days. Default Mon–Fri 09:00–17:00. */
  workingHours?: WorkingHours;
  /** Default england-and-wales. */
  bankHolidays?: BankHolidays;
  /** Extra closure days, local dates "YYYY-MM-DD". */
  closures?: readonly string[];
}

export const DEFAULT_TIMEZONE = 'Europe/London';
const officeHours: WorkingDayHours = ['09:00', '17:00'];
export const DEFAULT_WORKING_HOURS: WorkingHours = {
  mon: officeHours, tue: officeHours, wed: officeHours, thu: officeHours, fri: officeHours,
};

/** [startMs, endMs] of one local date's working interval (end is inclusive for "due at 17:00"). */
export type Interval = readonly [number, number];

/** A built calendar: config plus per-date caches. Build with createCalendar (or calendarOf). */
export interface WorkingCalendar {
  readonly timezone: string;
  readonly config: Readonly<Required<CalendarConfig>>;
  /** The working interval on a local date "YYYY-MM-DD", or null for a non-working day. */
  intervalOn(date: string): Interval | null;
  /** The same day's working hours as wall-clock ms since local midnight (09:00 = 32_400_000), or null. */
  wallClockOn(date: string): Interval | null;
  /** Whether the local date is a bank holiday or closure day (regardless of weekday). */
  isClosed(date: string): boolean;
}

const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function clockProblem(value: unknown): string | undefined {
  return typeof value === 'string' && CLOCK.test(value) ? undefined : `${JSON.stringify(value)} is not a clock time HH:MM (00:00 to 24:00)`;
}
export function dateProblem(value: unknown): string | undefined {
  const ok = typeof value === 'string' && DATE.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid;
  return ok ? undefined : `${JSON.stringify(value)} is not a date YYYY-MM-DD`;
}
export function timezoneProblem(value: unknown): string | undefined {
  return typeof value === 'string' && IANAZone.isValidZone(value) ? undefined : `${JSON.stringify(value)} is not an IANA time zone (e.g. Europe/London)`;
}
export function dayHoursProblem(hours: readonly unknown[]): string | undefined {
  const [start, end] = hours;
  const bad = clockProblem(start) ?? clockProblem(end);
  if (bad) return bad;
  return (start as string) < (end as string) ? undefined : `working hours must end after they start, got ${start}–${end}`;
}

// Bank holiday date strings per year, shared by every calendar: date-holidays is slow to query.
const bankHolidaysByYear = new Map<number, ReadonlySet<string>>();
let englandAndWales: Holidays | undefined;
export function englandAndWalesBankHolidays(year: number): ReadonlySet<string> {
  let set = bankHolidaysByYear.get(year);
  if (!set) {
    englandAndWales ??= new Holidays('GB', 'ENG');
    // `date` is the local date ("2027-03-29 00:00:00"); `start` is a UTC instant that in summer
    // time falls the evening before, so only the date string is trustworthy.
    set = new Set(englandAndWales.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    bankHolidaysByYear.set(year, set);
  }
  return set;
}

// Local date strings are zone-free calendar dates: do their arithmetic in UTC, memoised because
// stepping day by day is the hot loop of every due-date computation.
const DAY_MS = 86_400_000;
const shifted = new Map<string, string>();
function shiftDate(date: string, days: 1 | -1): string {
  const key = days === 1 ? `${date}+` : `${date}-`;
  let result = shifted.get(key);
  if (result === undefined) {
    result = new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
    if (shifted.size > 100_000) shifted.clear();
    shifted.set(key, result);
  }
  return result;
}
export const nextDate = (date: string): string => shiftDate(date, 1);
export const prevDate = (date: string): string => shiftDate(date, -1);

export function createCalendar(config: CalendarConfig = {}): WorkingCalendar {
  const timezone = config.timezone ?? DEFAULT_TIMEZONE;
  const workingHours = config.workingHours ?? DEFAULT_WORKING_HOURS;
  const bankHolidays = config.bankHolidays ?? 'england-and-wales';
  const closures = config.closures ?? [];
  const problem =
    timezoneProblem(timezone) ??
    (workingHours === '24/7'
      ? undefined
      : Object.entries(workingHours).map(([day, h]) =>
          (WEEKDAYS as readonly string[]).includes(day) ? (h ? dayHoursProblem(h) : undefined) : `unknown weekday "${day}"`,
        ).find(Boolean)) ??
    closures.map(dateProblem).find(Boolean);
  if (problem) throw new RangeError(`calendar: ${problem}`);

  const closureSet = new Set(closures);
  const hoursFor = (weekday: number): WorkingDayHours | undefined =>
    workingHours === '24/7' ? ['00:00', '24:00'] : workingHours[WEEKDAYS[weekday - 1]];
  const at = (date: string, clock: string): number =>
    clock === '24:00'
      ? DateTime.fromISO(nextDate(date), { zone: timezone }).toMillis()
      : DateTime.fromISO(`${date}T${clock}`, { zone: timezone }).toMillis();
  const clockMs = (clock: string): number => (Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))) * 60_000;

  const isClosed = (date: string): boolean =>
    closureSet.has(date) || (bankHolidays === 'england-and-wales' && englandAndWalesBankHolidays(Number(date.slice(0, 4))).has(date));

  // One entry per local date ever asked about (a few hundred a year): the time-zone maths is the slow part.
  const days = new Map<string, { interval: Interval; wall: Interval } | null>();
  const dayOn = (date: string) => {
    let day = days.get(date);
    if (day === undefined) {
      const hours = hoursFor(DateTime.fromISO(date, { zone: 'utc' }).weekday);
      day = hours && !isClosed(date) ? { interval: [at(date, hours[0]), at(date, hours[1])], wall: [clockMs(hours[0]), clockMs(hours[1])] } : null;
      days.set(date, day);
    }
    return day;
  };

  return {
    timezone,
    config: { timezone, workingHours, bankHolidays, closures },
    isClosed,
    intervalOn: (date) => dayOn(date)?.interval ?? null,
    wallClockOn: (date) => dayOn(date)?.wall ?? null,
  };
}
