import { createCalendar, WorkingCalendar } from './calendar';
import type { Category, Policy, Priority } from './policy.schema';
import { isDayGranular } from './duration';
import { addWorkingTime, endOfWorkingDay } from './working-time';

const calendars = new WeakMap<Policy, WorkingCalendar>();

/** The working-time calendar of a policy, built once per policy object (it caches holidays and intervals). */
export function calendarOf(policy: Policy): WorkingCalendar {
  let calendar = calendars.get(policy);
  if (!calendar) calendars.set(policy, (calendar = createCalendar(policy.calendar)));
  return calendar;
}

/**
 * Builds the policy's calendar and its bank holidays for `at`'s year and the next, so the first
 * command that computes a due date does not pay for them: date-holidays took ~300 ms of CPU on its
 * first query (measured in the api under load), which fell on whichever request came first. For the
 * apps' start; `at` is their clock's now.
 */
export function warmCalendar(policy: Policy, at: Date): void {
  const calendar = calendarOf(policy);
  const year = at.getUTCFullYear();
  for (const y of [year, year + 1]) calendar.isClosed(`${y}-01-01`);
  dueAfter(policy, at, 'P1D');
}

export interface DueDates {
  firstResponseAt: Date;
  resolutionAt: Date;
}

/** The SLA durations for a request: urgent overrides category, category overrides default, clock by clock. */
export function slaFor(policy: Policy, request: { category: Category; priority: Priority }): { firstResponse: string; resolution: string } {
  const { sla } = policy;
  const category = sla.categories[request.category];
  const urgent = request.priority === 'urgent' ? sla.urgent : undefined;
  return {
    firstResponse: urgent?.firstResponse ?? category?.firstResponse ?? sla.default.firstResponse,
    resolution: urgent?.resolution ?? category?.resolution ?? sla.default.resolution,
  };
}

/**
 * When a clock of `isoDuration` started at `from` runs out, by the policy's `sla.dueAt`: with
 * `end_of_day` (the default) a duration in whole days ("within 3 working days") is due at the close of
 * the working day on which the exact working-time addition lands, as councils count it, so a reply on
 * the last afternoon is on time; with 24/7 hours that close is local midnight. Durations with a time
 * part (PT4H, P1DT2H) and `exact` policies are due to the millisecond. Every clock the domain computes
 * from the policy (first response, resolution, updates, reopening, acknowledgements) should use this.
 */
export function dueAfter(policy: Policy, from: Date, isoDuration: string): Date {
  const calendar = calendarOf(policy);
  const exact = addWorkingTime(calendar, from, isoDuration);
  // A hand-built policy without the key gets the schema's default.
  const endOfDay = (policy.sla.dueAt ?? 'end_of_day') === 'end_of_day';
  return endOfDay && isDayGranular(isoDuration) ? endOfWorkingDay(calendar, exact) : exact;
}

/** Due dates computed at submission (and stored in the event, so later policy changes never rewrite them). */
export function dueDatesFor(policy: Policy, request: { category: Category; priority: Priority }, submittedAt: Date): DueDates {
  const { firstResponse, resolution } = slaFor(policy, request);
  return {
    firstResponseAt: dueAfter(policy, submittedAt, firstResponse),
    resolutionAt: dueAfter(policy, submittedAt, resolution),
  };
}
