import { z } from 'zod';
import { apiOutput } from '../../common/openapi';
import { ACCESS_CONTEXTS, ACCESS_VIAS, ACCESS_WHATS } from '../access-log.port';

const instant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .or(z.iso.date({ error: 'must be a date (YYYY-MM-DD) or date-time' }));

/** GET /api/access-log filters (shared API.md, "Personal data"). A date is its midnight UTC; `from` inclusive, `to` exclusive. */
export const accessLogQuerySchema = z
  .object({
    caseRef: z.string().trim().min(1).max(64).optional().describe("Reads of this child's case and its requests"),
    userId: z.string().trim().min(1).max(200).optional().describe('Reads by this member of staff'),
    from: instant.optional().describe('From this instant (inclusive)'),
    to: instant.optional().describe('Until this instant (exclusive)'),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) <= new Date(q.to), { path: ['to'], message: 'must not be before from' });

export const accessLogEntrySchema = apiOutput(
  'AccessLogEntry',
  z.object({
    at: z.string().describe('When the read was answered (ISO 8601)'),
    userId: z.string().describe('Who read it'),
    role: z.string().describe('Their role at the time'),
    what: z.enum(ACCESS_WHATS).describe('A request view, its timeline, or a case with its contacts'),
    id: z.string().describe('The request id, or the caseRef for a case'),
    caseRef: z.string().nullable().describe("The child's case it belongs to (null: a request in triage)"),
    teamId: z.string().nullable().describe('The team it belonged to when read'),
    context: z
      .enum(ACCESS_CONTEXTS)
      .describe('direct: opened by id or link; list: the request list; search: the list filtered; queue: a work queue; case: on its case'),
    via: z.enum(ACCESS_VIAS).describe('The JSON API or a page'),
  }),
  'One staff read of one request, timeline or case.',
);
export type AccessLogEntryAnswer = z.output<typeof accessLogEntrySchema>;
