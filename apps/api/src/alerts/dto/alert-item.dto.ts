import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

/** GET /api/alerts item (shared API.md): an escalation as a manager needs to act on it. */
export const alertItemSchema = apiOutput(
  'AlertItem',
  z.object({
    escalationId: z.string(),
    requestId: z.string(),
    reference: z.string(),
    level: z.number().int().describe('1 team manager, 2 service manager, 3 head of service'),
    reason: z.string(),
    unansweredCount: z.number().int().describe('Unanswered attempts when raised and since'),
    raisedAt: z.string().describe('ISO 8601 date-time'),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    ownerAway: z
      .boolean()
      .describe('The request needs cover: its officer is away (or it was routed while its case officer was), so the team must answer it'),
  }),
);
export type AlertItem = z.output<typeof alertItemSchema>;
