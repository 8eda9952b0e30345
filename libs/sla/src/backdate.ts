import { DateTime, Duration } from 'luxon';
import type { Policy } from './policy.schema';

/**
 * The earliest instant a staff-entered `receivedAt` (or a dated attempt, call-back or response) may
 * name: `now` minus `intake.maxBackdate` in calendar time, not working time (a letter's age is counted
 * in days on the calendar). Days are local calendar days in the policy's time zone, so across a clock
 * change "P30D" keeps the wall-clock time; hours are elapsed hours.
 */
export function earliestBackdate(policy: Policy, now: Date): Date {
  const zone = policy.calendar.timezone;
  const local = DateTime.fromJSDate(now, { zone });
  if (!local.isValid) throw new RangeError('now is not a valid Date');
  return local.minus(Duration.fromISO(policy.intake?.maxBackdate ?? 'P30D')).toJSDate();
}
