import { z } from 'zod';
import { CALL_ID_PATTERN, CALL_OUTCOMES } from '@send/domain';
import { apiInput, apiOutput } from '../../common/openapi';

const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
    .max(max, `must be at most ${max} characters`)
    .refine((v) => v.trim() !== '', 'must not be empty');

/** POST /api/telephony/calls (shared API.md, "Telephony"): the call as the telephony system reports it, kept as sent. */
export const callSchema = z.object(
  {
    callId: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
      .regex(CALL_ID_PATTERN, 'must be 1 to 128 letters, digits and -_.: (starting with a letter or digit)'),
    from: text(64).describe("The caller's number as the telephony system has it (any format; compared in E.164)"),
    to: text(64).describe('The council number that was called'),
    startedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T10:30:00Z' }),
    outcome: z.enum(CALL_OUTCOMES, { error: `must be one of ${CALL_OUTCOMES.join(', ')}` }),
    durationSeconds: z
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(0, 'must be 0 or more')
      .max(86_400, 'must be at most 86400 (a day)'),
  },
  { error: 'must be a JSON object' },
);
export type CallInput = z.infer<typeof callSchema>;

/**
 * attempt: an unanswered attempt on the caller's open request; request: a request opened for it;
 * duplicate: this callId was recorded before (nothing new); unmatched: no open case has the number,
 * kept for triage; answered: somebody picked up, so it is kept but is no unanswered attempt (an
 * extension of API.md's list, ADR 0007).
 */
export const CALL_RECORDED = ['attempt', 'request', 'duplicate', 'unmatched', 'answered'] as const;
export const callAnswerSchema = apiOutput(
  'CallRecorded',
  z.object({
    recorded: z.enum(CALL_RECORDED),
    requestId: z.string().optional().describe('The request the call was filed on (attempt, request)'),
  }),
);
export type CallAnswer = z.output<typeof callAnswerSchema>;

/** POST /api/telephony/unmatched/:number/link */
export const linkNumberSchema = z.object(
  { caseRef: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(64) },
  { error: 'must be a JSON object' },
);

export const unmatchedNumberSchema = apiOutput(
  'UnmatchedNumber',
  z.object({
    number: z.string().describe('E.164, or the raw number when it is not a phone number (e.g. withheld)'),
    numberIsE164: z.boolean(),
    lastCallAt: z.string().describe('ISO 8601 date-time of the newest call: the list is newest first'),
    calls: z.array(
      z.object({
        callId: z.string(),
        startedAt: z.string(),
        outcome: z.enum(CALL_OUTCOMES),
        durationSeconds: z.number().int(),
        to: z.string(),
      }),
    ),
  }),
);

export const linkAnswerSchema = apiOutput(
  'NumberLinked',
  z.object({
    number: z.string(),
    caseRef: z.string(),
    filed: z
      .array(z.object({ callId: z.string(), recorded: z.enum(['attempt', 'request']), requestId: z.string() }))
      .describe('Each call filed, oldest first'),
  }),
);
export type LinkAnswer = z.output<typeof linkAnswerSchema>;

// Named once for the OpenAPI document, where generated clients get them as types.
apiInput('TelephonyCall', callSchema);
apiInput('LinkNumber', linkNumberSchema);
