import { createCalendar, WorkingCalendar } from './calendar';
import type { Category, Policy, Priority } from './policy.schema';
import { addWorkingTime } from './working-time';

const calendars = new WeakMap<Policy, WorkingCalendar>();

/** The working-time calendar of a policy, built once per policy object (it caches holidays and intervals). */
export function calendarOf(policy: Policy): WorkingCalendar {
  let calendar = calendars.get(policy);
  if (!calendar) calendars.set(policy, (calendar = createCalendar(policy.calendar)));
  return calendar;
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

/** Due dates computed at submission (and stored in the event, so later policy changes never rewrite them). */
export function dueDatesFor(policy: Policy, request: { category: Category; priority: Priority }, submittedAt: Date): DueDates {
  const calendar = calendarOf(policy);
  const { firstResponse, resolution } = slaFor(policy, request);
  return {
    firstResponseAt: addWorkingTime(calendar, submittedAt, firstResponse),
    resolutionAt: addWorkingTime(calendar, submittedAt, resolution),
  };
}
