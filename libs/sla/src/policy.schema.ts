import { z } from 'zod';
import { clockProblem, dateProblem, dayHoursProblem, DEFAULT_TIMEZONE, DEFAULT_WORKING_HOURS, timezoneProblem, WEEKDAYS } from './calendar';
import { calendarDurationProblem, durationProblem } from './duration';
import { retentionDurationProblem } from './retention';

export const CATEGORIES = ['ehc_assessment', 'ehc_plan', 'annual_review', 'placement', 'transport', 'complaint', 'general'] as const;
export type Category = (typeof CATEGORIES)[number];
export const PRIORITIES = ['normal', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const ESCALATION_ROLES = ['team_manager', 'service_manager', 'head_of_service'] as const;
export type EscalationRole = (typeof ESCALATION_ROLES)[number];

/** A string checked by one of the *Problem functions, whose message becomes the zod issue. */
const checked = (problem: (v: unknown) => string | undefined) =>
  z.string().check((ctx) => {
    const message = problem(ctx.value);
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });

export const isoDurationSchema = checked(durationProblem);

const dayHours = z.tuple([checked(clockProblem), checked(clockProblem)]).check((ctx) => {
  const message = dayHoursProblem(ctx.value);
  if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
});

// One wording for every way a count can be wrong ("3", 2.5, 0).
const positiveInteger = { error: 'must be a positive integer' };
const positiveIntegerSchema = z.number(positiveInteger).int(positiveInteger).positive(positiveInteger);

export const calendarSchema = z.strictObject({
  timezone: checked(timezoneProblem).default(DEFAULT_TIMEZONE),
  workingHours: z
    .union([z.literal('24/7'), z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, dayHours.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof dayHours>>)])
    // A fresh copy each time, so a parsed policy never shares (and can't mutate) the exported constant.
    .default(() => structuredClone(DEFAULT_WORKING_HOURS) as { mon: [string, string] }),
  bankHolidays: z.enum(['england-and-wales', 'none']).default('england-and-wales'),
  closures: z.array(checked(dateProblem)).default([]),
});

export const slaTargetSchema = z.strictObject({ firstResponse: isoDurationSchema, resolution: isoDurationSchema });
// Overrides may name only one clock; the other falls back to the default.
const slaOverrideSchema = slaTargetSchema.partial();

export const slaSchema = z.strictObject({
  default: slaTargetSchema,
  categories: z.strictObject(Object.fromEntries(CATEGORIES.map((c) => [c, slaOverrideSchema.optional()])) as Record<Category, z.ZodOptional<typeof slaOverrideSchema>>).default({}),
  urgent: slaOverrideSchema.optional(),
  /**
   * `end_of_day`: a day-granular duration ("within 3 working days") is due at the close of the last
   * working day, as councils count it; `exact`: to the minute.
   */
  dueAt: z.enum(['end_of_day', 'exact']).default('end_of_day'),
  /** After a holding reply, the family hears again within this. */
  updateWithin: isoDurationSchema.default('P10D'),
  /** A requester may reopen a resolved request within this of its resolution. */
  reopenWithin: isoDurationSchema.default('P20D'),
});

export const escalationLevelSchema = z.strictObject({
  role: z.enum(ESCALATION_ROLES),
  ackWithin: isoDurationSchema,
  respondWithin: isoDurationSchema,
});

export const policySchema = z.strictObject({
  calendar: calendarSchema.default(() => calendarSchema.parse({})),
  sla: slaSchema,
  unanswered: z.strictObject({
    threshold: positiveIntegerSchema,
  }),
  intake: z
    .strictObject({
      /** How old a staff-entered receivedAt (or a dated attempt, call-back or response) may be: calendar time. */
      maxBackdate: checked(calendarDurationProblem).default('P30D'),
    })
    .default({ maxBackdate: 'P30D' }),
  retention: z
    .strictObject({
      /**
       * How long a resolved request's personal data is kept, in calendar time from its resolution
       * (years and months allowed: P6Y is six years to the day); then retention erases it (ADR 0017).
       */
      closedRequests: checked(retentionDurationProblem).default('P6Y'),
    })
    .default({ closedRequests: 'P6Y' }),
  escalation: z.strictObject({
    /** A new escalation within this of the last one's end starts at the level that one reached. */
    memory: isoDurationSchema.default('P20D'),
    chain: z.array(escalationLevelSchema).min(1),
  }),
});

export type Policy = z.output<typeof policySchema>;
/** What a policy file may contain (defaults not yet applied). */
export type PolicyInput = z.input<typeof policySchema>;
export type SlaTarget = z.output<typeof slaTargetSchema>;
export type EscalationLevel = z.output<typeof escalationLevelSchema>;
export type PolicyCalendar = Policy['calendar'];
