/**
 * GOV.UK date inputs (day, month, year as three fields) to the instants the API takes. Pure: the
 * time zone is the policy calendar's, and "now" comes in.
 */
import { DateTime } from 'luxon';

export interface DateParts {
  day?: string;
  month?: string;
  year?: string;
}

/** Each part's problem, GOV.UK style ("Date must include a month"), or the date as YYYY-MM-DD; null when all three are empty. */
export function parseDateParts(parts: DateParts, name: string): { date: string } | { error: string; part: 'day' | 'month' | 'year' } | null {
  const day = (parts.day ?? '').trim();
  const month = (parts.month ?? '').trim();
  const year = (parts.year ?? '').trim();
  if (!day && !month && !year) return null;
  if (!day) return { error: `${name} must include a day`, part: 'day' };
  if (!month) return { error: `${name} must include a month`, part: 'month' };
  if (!year) return { error: `${name} must include a year`, part: 'year' };
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return { error: `${name} must be a real date`, part: 'day' };
  const date = DateTime.fromObject({ year: Number(year), month: Number(month), day: Number(day) });
  if (!date.isValid) return { error: `${name} must be a real date`, part: 'day' };
  return { date: date.toISODate()! };
}

/** The instant a day starts in the zone (midnight local, whatever the clocks did). */
export const startOfDay = (isoDate: string, zone: string): string => DateTime.fromISO(isoDate, { zone }).startOf('day').toUTC().toISO()!;

/** The instant the day after it starts: someone away "until Friday" is back at the start of Saturday. */
export const endOfDay = (isoDate: string, zone: string): string =>
  DateTime.fromISO(isoDate, { zone }).plus({ days: 1 }).startOf('day').toUTC().toISO()!;

/** The parts to show again in the date input for an instant (its day in the zone); empty for null. */
export function dateParts(iso: string | null, zone: string, lastDay = false): DateParts {
  if (!iso) return {};
  // An end of absence is the start of the day after the last day away: show that last day.
  const local = DateTime.fromISO(iso, { zone }).minus({ milliseconds: lastDay ? 1 : 0 });
  return { day: String(local.day), month: String(local.month), year: String(local.year) };
}

/** The day an instant falls on in the zone, GOV.UK style ("4 January 2027"); `lastDay` for the end of an absence (the day before it). */
export const dayInWords = (iso: string, zone: string, lastDay = false): string =>
  DateTime.fromISO(iso, { zone }).minus({ milliseconds: lastDay ? 1 : 0 }).setLocale('en-GB').toFormat('d LLLL yyyy');
