import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

// Answers are described, not parsed: these schemas feed the OpenAPI document, and
// openapi.spec.ts checks at compile time that they match the types the code returns.
const instant = z.string().describe('ISO 8601 date-time');

/** The request view of shared API.md ("Requests"). */
export const requestViewSchema = apiOutput(
  'RequestView',
  z.object({
    id: z.string().describe('UUID'),
    reference: z.string().describe('e.g. SEND-2026-000123'),
    caseRef: z.string().nullable(),
    status: z.enum(['open', 'assigned', 'responded', 'resolved']),
    category: z.string().describe('ehc_assessment, ehc_plan, annual_review, placement, transport, complaint or general'),
    priority: z.string().describe('normal or urgent'),
    subject: z.string(),
    channel: z.string().describe('portal, phone, email, letter, in_person or mp'),
    requesterRole: z.string(),
    assignee: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    teamId: z.string().nullable().describe('null while the request waits in triage'),
    needsCover: z.boolean().describe('Routed to a case whose officer is away, and nobody has taken it yet'),
    submittedAt: instant,
    receivedAt: instant.describe('When the contact arrived (staff may backdate a letter or call); the clocks run from then'),
    requesterFlaggedUrgent: z.boolean().describe('The requester asked for urgency; `priority` is what staff set'),
    due: z
      .object({ firstResponseAt: instant, resolutionAt: instant })
      .describe('Computed from the received time in working time; again on reopening or when staff change the priority'),
    updateDueAt: instant.nullable().describe('After a holding reply: when the family must hear again; null when no update is owed'),
    firstRespondedAt: instant.nullable(),
    unansweredAttempts: z.number().int(),
    lastAttemptAt: instant.nullable(),
    breaches: z.array(z.object({ clock: z.enum(['first_response', 'resolution', 'update']), dueAt: instant, breachedAt: instant })),
    escalation: z
      .object({
        id: z.string(),
        level: z.number().int(),
        status: z.enum(['open', 'acknowledged', 'resolved']),
        raisedAt: instant,
        reason: z.string(),
      })
      .nullable(),
    resolvedAt: instant.nullable(),
    updatedAt: instant,
  }),
  'A contact request as its parties see it.',
);

/** One entry of GET /api/requests/:id/timeline, oldest first. */
export const timelineEntrySchema = apiOutput(
  'TimelineEntry',
  z.object({
    type: z.string().describe('The event, e.g. ContactRequestSubmitted, ContactAttemptRecorded, OfficerResponded'),
    at: instant,
    actor: z.object({ role: z.string().describe("The actor's role, or system for timers") }),
    data: z.record(z.string(), z.unknown()).describe("The event's data without personal contact details"),
  }),
);

/** POST /api/requests/:id/attempts answers the attempt's id and the request after it. */
export const recordAttemptAnswerSchema = apiOutput('RecordAttemptAnswer', z.object({ attemptId: z.string(), request: requestViewSchema }));

/** POST /api/requests/:id/responses answers the response's id and the request after it. */
export const recordResponseAnswerSchema = apiOutput(
  'RecordResponseAnswer',
  z.object({ responseId: z.string(), request: requestViewSchema }),
);
