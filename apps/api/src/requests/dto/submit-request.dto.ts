import { z } from 'zod';
import { apiInput } from '../../common/openapi';

/** "is required" when missing, "must be text" when present with another type. */
const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') });

export const CATEGORIES = ['ehc_assessment', 'ehc_plan', 'annual_review', 'placement', 'transport', 'complaint', 'general'] as const;
export const CHANNELS = ['portal', 'phone', 'email', 'letter', 'in_person', 'mp'] as const;
export const PRIORITIES = ['normal', 'urgent'] as const;
export const REQUESTER_KINDS = ['parent', 'school', 'professional', 'mp', 'other'] as const;

/** POST /api/requests (shared API.md, "Requests"). */
export const submitRequestSchema = z.object(
  {
    caseRef: z.string().trim().min(1).max(64).optional(),
    category: z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }),
    subject: text().trim().min(1, 'must not be empty').max(200),
    message: text().trim().min(1, 'must not be empty').max(10_000),
    channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }).default('portal'),
    priority: z
      .enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` })
      .default('normal')
      .describe(
        "Staff set it; a requester's 'urgent' is kept as requesterFlaggedUrgent and the priority stays normal until staff confirm it",
      ),
    receivedAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T10:30:00Z' })
      .optional()
      .describe(
        'Staff only: when the letter, call or email actually arrived (not in the future, at most intake.maxBackdate old); its clocks run from then',
      ),
    requester: z
      .object({
        role: z.enum(REQUESTER_KINDS, { error: `must be one of ${REQUESTER_KINDS.join(', ')}` }),
        name: z.string().trim().min(1).max(200),
        email: z.string().email().optional(),
        phone: z.string().trim().min(5).max(32).optional(),
      })
      .optional(),
  },
  { error: 'must be a JSON object' },
);
export type SubmitRequestInput = z.infer<typeof submitRequestSchema>;

// Named once for the OpenAPI document, where generated clients get it as a type.
apiInput('SubmitRequest', submitRequestSchema);
