import { Duration } from 'luxon';

/**
 * A duration in working time: whole working days (each = "the same clock time on the
 * next working day") plus a number of working milliseconds.
 */
export interface WorkingDuration {
  readonly days: number;
  readonly ms: number;
}

const EXAMPLES = '(e.g. P1D, PT4H)';

/** Why `iso` is not a usable working-time duration, or undefined when it is. */
export function durationProblem(iso: unknown): string | undefined {
  if (typeof iso !== 'string') return `${JSON.stringify(iso) ?? String(iso)} is not an ISO 8601 duration ${EXAMPLES}`;
  const notIso = `${JSON.stringify(iso)} is not an ISO 8601 duration ${EXAMPLES}`;
  // luxon accepts "P", "PT", a dangling "T" ("P1DT") and signs ("-P1D", "P-1D"); ISO 8601 does not,
  // and a negative working-time duration has no meaning here.
  if (!/^P(?=\d|T\d)/.test(iso) || iso.endsWith('T')) return notIso;
  const d = Duration.fromISO(iso);
  if (!d.isValid) return notIso;
  const o = d.toObject();
  // Years, months and weeks have no fixed length in working days: say it in days.
  if (o.years || o.months || o.quarters || o.weeks)
    return `${JSON.stringify(iso)} uses years, months or weeks, which have no fixed length in working time; use working days or hours ${EXAMPLES}`;
  if (o.days !== undefined && !Number.isInteger(o.days))
    return `${JSON.stringify(iso)} has a fractional number of days, but a working day has no fixed length: use whole days or hours ${EXAMPLES}`;
  return undefined;
}

const parsed = new Map<string, WorkingDuration>();
/** Parses an ISO 8601 duration into working days + working ms (rounded to the millisecond). */
export function parseWorkingDuration(iso: string): WorkingDuration {
  let result = parsed.get(iso);
  if (!result) {
    const problem = durationProblem(iso);
    if (problem) throw new RangeError(problem);
    const o = Duration.fromISO(iso).toObject();
    const ms = Duration.fromObject({ ...o, days: 0 }).as('milliseconds');
    result = { days: o.days ?? 0, ms: Math.round(ms) };
    // Policies use a handful of durations; the bound only stops a stream of unique ones growing memory.
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(iso, result);
  }
  return result;
}

/** Whether a duration is purely hours/minutes/seconds (no working days). */
export const isTimeOnly = (d: WorkingDuration): boolean => d.days === 0;

/**
 * Whether a duration is written in whole days only ("P3D", "P0D"): the durations that
 * `sla.dueAt: end_of_day` rounds up to the close of a working day. Any time part, even "P1DT0H",
 * asks for the exact instant.
 */
export function isDayGranular(iso: string): boolean {
  parseWorkingDuration(iso); // validates, so a bad value fails here as it would in addWorkingTime
  return !iso.includes('T');
}

const CALENDAR_EXAMPLES = '(e.g. P30D, P4W)';

/**
 * Why `iso` is not a usable calendar-time duration (intake.maxBackdate), or undefined. Weeks are fine
 * in calendar time; years and months vary in length, so they are refused rather than guessed.
 */
export function calendarDurationProblem(iso: unknown): string | undefined {
  const notIso = `${JSON.stringify(iso) ?? String(iso)} is not an ISO 8601 duration ${CALENDAR_EXAMPLES}`;
  if (typeof iso !== 'string' || !/^P(?=\d|T\d)/.test(iso) || iso.endsWith('T')) return notIso;
  const d = Duration.fromISO(iso);
  if (!d.isValid) return notIso;
  const o = d.toObject();
  if (o.years || o.months || o.quarters)
    return `${JSON.stringify(iso)} uses years or months, whose length varies; use days or weeks ${CALENDAR_EXAMPLES}`;
  if ((o.days !== undefined && !Number.isInteger(o.days)) || (o.weeks !== undefined && !Number.isInteger(o.weeks)))
    return `${JSON.stringify(iso)} has a fractional number of days or weeks; use whole days or hours ${CALENDAR_EXAMPLES}`;
  return undefined;
}
