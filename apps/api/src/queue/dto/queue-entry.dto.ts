import { z } from 'zod';
import { apiOutput } from '../../common/openapi';
import { requestViewSchema } from '../../requests/dto/request-view.dto';

/**
 * A queue row: what an officer needs to pick the next request, not the whole request view (no
 * subject, breaches or history). The queue routes document this slim shape; until they map to it
 * they answer full request views, which carry every field of it.
 */
export const queueEntrySchema = apiOutput(
  'QueueEntry',
  requestViewSchema
    .pick({
      id: true,
      reference: true,
      caseRef: true,
      status: true,
      category: true,
      priority: true,
      requesterRole: true,
      assignee: true,
      teamId: true,
      needsCover: true,
      requesterFlaggedUrgent: true,
      submittedAt: true,
      due: true,
      unansweredAttempts: true,
      lastAttemptAt: true,
    })
    .extend({
      escalation: z.object({ level: z.number().int(), status: z.enum(['open', 'acknowledged', 'resolved']) }).nullable(),
      overdue: z.boolean().optional().describe('A running deadline (first response or resolution) has passed'),
    }),
  'A slim queue row (not a full request view): enough to order and pick the next request.',
);
export type QueueEntry = z.output<typeof queueEntrySchema>;
