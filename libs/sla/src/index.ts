// Public API of @send/sla: working-time calendar, SLA and escalation policy. Pure: no IO, no clock.
export {
  createCalendar,
  WEEKDAYS,
  DEFAULT_TIMEZONE,
  DEFAULT_WORKING_HOURS,
  englandAndWalesBankHolidays,
} from './calendar';
export type { CalendarConfig, WorkingCalendar, WorkingHours, WorkingDayHours, Weekday, BankHolidays, Interval } from './calendar';
export { parseWorkingDuration, durationProblem, calendarDurationProblem, isDayGranular } from './duration';
export type { WorkingDuration } from './duration';
export { addWorkingTime, workingTimeBetween, endOfWorkingDay } from './working-time';
export {
  CATEGORIES,
  PRIORITIES,
  ESCALATION_ROLES,
  policySchema,
  calendarSchema,
  slaSchema,
  escalationLevelSchema,
  isoDurationSchema,
} from './policy.schema';
export type { Category, Priority, EscalationRole, Policy, PolicyInput, SlaTarget, EscalationLevel, PolicyCalendar } from './policy.schema';
export { PolicyError } from './policy-error';
export type { PolicyIssue } from './policy-error';
export { parsePolicy, validatePolicy } from './parse-policy';
export { defaultPolicy } from './default-policy';
export { calendarOf, dueAfter, dueDatesFor, slaFor, warmCalendar } from './due-dates';
export { dueInWords } from './due-in-words';
export { earliestBackdate } from './backdate';
export { retentionDurationProblem, retentionEndsAt, isPastRetention } from './retention';
export type { DueDates } from './due-dates';
