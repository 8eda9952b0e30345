import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

// Each description is the definition written out in docs/dashboard.md; keep the two in step.
const int = (description: string) => z.number().int().describe(description);
const hours = (description: string) => z.number().nullable().describe(description);

/** Nearest-rank percentiles of finished and unfinished (censored) waits: see docs/dashboard.md. */
const censoredPercentilesShape = {
  measured: int('Waits counted in the percentiles: finished ones plus unfinished ones (censored).'),
  censored: int('Unfinished waits among `measured`, counted at the working hours waited so far (the real wait is at least that).'),
  p50Hours: hours(
    'Median working hours (nearest rank) over finished waits and unfinished waits at their current age; null with nothing measured.',
  ),
  p90Hours: hours('90th percentile working hours (nearest rank), counted as p50Hours; null with nothing measured.'),
  p50LowerBound: z
    .boolean()
    .describe(
      'True when p50Hours is only a lower bound: fewer finished waits than its rank lie at or below it, so it may still rise as censored waits end. False: exact.',
    ),
  p90LowerBound: z.boolean().describe('As p50LowerBound, for p90Hours.'),
};

const firstResponseSchema = z
  .object({
    total: int(
      'Denominator of the SLA figure: requests whose first-response due time (set at submission) has passed by asOf, answered or not ' +
        '(a request resolved without a reply counts when the due time passed before it was resolved; duplicates never). ' +
        'Changed: it used to also count requests answered before a due time still to come, which flattered recent weeks.',
    ),
    withinSla: int('Of total: first response at or before the first-response due time.'),
    answeredLate: int('Of total: first response after the due time.'),
    unanswered: int('Of total: no response by asOf (still waiting, or resolved without one).'),
    withinSlaPercent: z.number().nullable().describe('withinSla / total as a percentage, one decimal; null when total is 0.'),
    notYetDue: int('Requests whose first-response due time is still to come, answered or not: not in total.'),
    closedBeforeDue: int('Requests resolved without a reply (e.g. withdrawn) before their due time came: not in total.'),
    ...censoredPercentilesShape,
  })
  .describe(
    'First response: from receipt (receivedAt: submission, or when a backdated contact arrived) to the first reply ever (holding or full; ' +
      'for a request resolved as answered outside the system, the date given), in working hours of the policy calendar. Duplicates are left out. ' +
      'Percentiles count every request: answered ones at their response time, unanswered ones at their age (censored). ' +
      'Changed: p50Hours/p90Hours used to leave out requests never answered.',
  );

const censoredPercentilesSchema = z.object(censoredPercentilesShape);

/** The figures of one slice of requests (the whole scope, one officer, one week...). */
export const slaFiguresSchema = apiOutput(
  'SlaFigures',
  z.object({
    total: int('Requests in the slice (submitted in [from, to), at or before asOf).'),
    open: int('Requests not resolved at asOf.'),
    overdue: int('Open requests with a deadline of the current period passed: first response (none yet) or resolution.'),
    breached: int(
      'Requests with at least one recorded breach. In byOfficer and byTeam: requests with a breach attributed to that officer or team ' +
        '(the owner when the clock ran out, whoever owns the request now). Changed: it used to follow the current owner.',
    ),
    breaches: z
      .object({
        total: int('Recorded breaches (one per clock per period).'),
        firstResponse: int('Of total: first-response clock.'),
        resolution: int('Of total: resolution clock.'),
        update: int('Of total: update clock (a holding reply’s promised update missed).'),
      })
      .describe(
        'Recorded SlaBreached; in byOfficer and byTeam those attributed to the officer or team that owned the request when the clock ran out.',
      ),
    resolvedWithoutReply: z
      .object({
        withdrawn: int('Withdrawn by the family.'),
        duplicate: int('Duplicate of another request (left out of first-response figures).'),
        answeredOutside: int('Answered outside the system (its first response is the date given).'),
      })
      .describe('Requests resolved at asOf with no reply recorded, by the reason given: counted apart, never as answered in the system.'),
    firstResponse: firstResponseSchema,
    unanswered: z
      .object({
        requestsWithUnanswered: int('Open requests with at least one inbound attempt no response has answered.'),
        attempts: int('Inbound attempts with no officer response after them, on open requests.'),
      })
      .describe('Unanswered inbound attempts on open requests at asOf.'),
    attemptsPerRequest: z
      .object({
        total: int('Inbound contact attempts recorded on the slice’s requests (every period, answered or not; the submission is not one).'),
        max: int('Most attempts on one request (0 with no requests).'),
        p90: int('90th percentile (nearest rank) of attempts per request, over every request in the slice, those with none included.'),
        tenOrMore: int('Requests with 10 or more attempts.'),
      })
      .describe('How many times families had to try: the inspection’s “forty or fifty times”.'),
    escalations: z
      .object({
        open: int('Escalations not resolved at asOf.'),
        total: int('Escalations raised on the slice’s requests.'),
        byLevel: z
          .record(z.string(), z.number().int())
          .describe('Escalations by the level they stand at now (the highest reached): "1", "2", ...'),
        reachedLevel: z
          .record(z.string(), z.number().int())
          .describe('Escalations that were at each level at some time ("1", "2", ...): raised at it or advanced to it.'),
        acknowledgeByLevel: z
          .record(
            z.string(),
            censoredPercentilesSchema.extend({
              acknowledged: int('Times the level was acknowledged (finished waits).'),
            }),
          )
          .describe(
            'Time to acknowledge, by level: working hours from reaching the level to an acknowledgement at it. A level left unacknowledged ' +
              '(advanced, resolved, or still waiting at asOf) counts censored at its time there.',
          ),
      })
      .describe('Escalations of the slice’s requests.'),
  }),
);

/** GET /api/dashboard/sla (shared API.md, "Officers and managers"). */
export const slaDashboardSchema = apiOutput(
  'SlaDashboard',
  slaFiguresSchema.extend({
    asOf: z.string().describe('ISO 8601 date-time the figures are for'),
    from: z.string().nullable().describe('Requests submitted at or after this (null: from the start).'),
    to: z.string().nullable().describe('Requests submitted before this (null: up to asOf).'),
    teamId: z
      .string()
      .nullable()
      .describe('Only requests routed to this team now; byOfficer/byTeam breaches: those this team owned when the clock ran out.'),
    byOfficer: z
      .array(slaFiguresSchema.extend({ officerId: z.string(), name: z.string().nullable() }))
      .describe('By the officer assigned now; breached/breaches by the officer who owned the request when the clock ran out.'),
    byTeam: z
      .array(slaFiguresSchema.extend({ teamId: z.string().describe('"unrouted" for no team') }))
      .describe('By the team routed to now; breached/breaches by the team that owned the request when the clock ran out.'),
    byCategory: z.array(slaFiguresSchema.extend({ category: z.string() })),
    byRequesterRole: z.array(slaFiguresSchema.extend({ requesterRole: z.string() })),
    byChannel: z
      .array(slaFiguresSchema.extend({ channel: z.string() }))
      .describe('By how the request came in (portal, phone, email, letter, in_person, mp).'),
    byWeek: z.array(slaFiguresSchema.extend({ week: z.string().describe('The Monday (YYYY-MM-DD) of the week submitted') })),
    responseByRequester: z
      .object({
        mp: firstResponseSchema.describe('MP enquiries: channel mp or requester role mp.'),
        parent: firstResponseSchema.describe('Parents and carers, not via an MP.'),
        school: firstResponseSchema.describe('Schools, not via an MP.'),
      })
      .describe('First response of MP enquiries beside parents’ and schools’, defined as firstResponse.'),
  }),
  'SLA figures in working hours, overall and by officer, team, category, requester role, channel and week. Definitions: docs/dashboard.md.',
);
