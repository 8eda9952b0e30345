import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

const instant = z.string().describe('ISO 8601 date-time');

/** The data of each `alert` event on GET /api/alerts/stream: the alert as notified (no names, no message text). */
export const liveAlertSchema = apiOutput(
  'LiveAlert',
  z.object({
    id: z.string(),
    deliveryId: z.string(),
    kind: z.enum(['escalation_raised', 'escalation_advanced', 'escalation_renotified', 'sla_breached']),
    title: z.string(),
    requestId: z.string(),
    reference: z.string(),
    category: z.string(),
    priority: z.string(),
    level: z.number().int().nullable(),
    fromLevel: z.number().int().optional(),
    escalationId: z.string().optional(),
    reason: z.string(),
    unansweredCount: z.number().int(),
    submittedAt: instant,
    firstUnansweredAt: instant.nullable(),
    at: instant,
    ackDueAt: instant.optional(),
    dueAt: instant.optional(),
    role: z.string().describe('The role it is routed to'),
    teamId: z.string().nullable(),
    link: z.string().describe("The request's page"),
    userIds: z.array(z.string()).describe('Everyone the alert is for'),
  }),
  'The JSON data of each `alert` server-sent event on GET /api/alerts/stream.',
);
