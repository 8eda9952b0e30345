import { z } from 'zod';
import { apiInput } from '../../common/openapi';
import { CHANNELS } from './submit-request.dto';

const ATTEMPT_OUTCOMES = ['unanswered', 'voicemail', 'no_reply', 'message_left'] as const;
const RESPONSE_CHANNELS = [...CHANNELS, 'meeting'] as const;
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T10:30:00Z' });
const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
    .trim()
    .min(1, 'must not be empty')
    .max(max);
const object = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: 'must be a JSON object' });

/** POST /api/requests/:id/attempts */
export const recordAttemptSchema = object({
  channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }),
  outcome: z.enum(ATTEMPT_OUTCOMES, { error: `must be one of ${ATTEMPT_OUTCOMES.join(', ')}` }).default('unanswered'),
  at: instant.optional(),
});

/** POST /api/requests/:id/assign */
export const assignSchema = object({ officerId: z.uuid({ error: 'must be an officer id (UUID)' }) });

const RESPONSE_KINDS = ['full', 'holding'] as const;
const WITHOUT_REPLY_REASONS = ['withdrawn', 'duplicate', 'answered_outside'] as const;
const PRIORITIES = ['normal', 'urgent'] as const;

/** POST /api/requests/:id/responses */
export const recordResponseSchema = object({
  channel: z.enum(RESPONSE_CHANNELS, { error: `must be one of ${RESPONSE_CHANNELS.join(', ')}` }),
  summary: text(5_000),
  kind: z
    .enum(RESPONSE_KINDS, { error: `must be one of ${RESPONSE_KINDS.join(', ')}` })
    .default('full')
    .describe('holding: stops the first-response clock and starts the update clock, leaves an escalation open; full: answers the family'),
  at: instant
    .optional()
    .describe('When the reply was made, if earlier (at most intake.maxBackdate, never before the request was received)'),
});

/** POST /api/requests/:id/call-back-failed */
export const callBackFailedSchema = object({ at: instant.optional() });

/** POST /api/requests/:id/resolve */
export const resolveSchema = object({
  outcome: text(2_000),
  withoutReply: object({
    reason: z.enum(WITHOUT_REPLY_REASONS, { error: `must be one of ${WITHOUT_REPLY_REASONS.join(', ')}` }),
    answeredAt: instant.optional().describe('answered_outside: when the family was answered'),
  })
    .optional()
    .describe('Required when the request never had a reply: why it is resolved without one'),
});

/** POST /api/requests/:id/reopen */
export const reopenSchema = object({ reason: text(2_000) });

/** POST /api/requests/:id/priority */
export const prioritySchema = object({ priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }) });

// Named once for the OpenAPI document, where generated clients get them as types.
apiInput('RecordAttempt', recordAttemptSchema);
apiInput('AssignRequest', assignSchema);
apiInput('RecordResponse', recordResponseSchema);
apiInput('CallBackFailed', callBackFailedSchema);
apiInput('ResolveRequest', resolveSchema);
apiInput('ReopenRequest', reopenSchema);
apiInput('SetPriority', prioritySchema);

/** POST /api/requests/:id/route: a case (its team and officer) or a team alone. */
export const routeSchema = object({
  caseRef: z.string().trim().min(1).max(64).optional(),
  teamId: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a team id (lower-case letters, digits, - and _)')
    .optional(),
}).refine((b) => (b.caseRef === undefined) !== (b.teamId === undefined), { message: 'give either caseRef or teamId', path: ['caseRef'] });
apiInput('RouteRequest', routeSchema);
