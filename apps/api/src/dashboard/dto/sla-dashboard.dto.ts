import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

const int = () => z.number().int();
const hours = () => z.number().nullable().describe('Working hours (nearest-rank percentile); null with no responses');

/** The figures of one slice of requests (the whole scope, one officer, one week...). */
export const slaFiguresSchema = apiOutput(
  'SlaFigures',
  z.object({
    total: int(),
    open: int(),
    overdue: int(),
    breached: int(),
    firstResponse: z.object({ total: int(), withinSla: int(), p50Hours: hours(), p90Hours: hours() }),
    unanswered: z.object({ requestsWithUnanswered: int(), attempts: int() }),
    escalations: z.object({
      open: int(),
      total: int(),
      byLevel: z.record(z.string(), int()).describe('By highest level reached: "1", "2", ...'),
    }),
  }),
);

/** GET /api/dashboard/sla (shared API.md, "Officers and managers"). */
export const slaDashboardSchema = apiOutput(
  'SlaDashboard',
  slaFiguresSchema.extend({
    asOf: z.string().describe('ISO 8601 date-time the figures are for'),
    from: z.string().nullable(),
    to: z.string().nullable(),
    teamId: z.string().nullable(),
    byOfficer: z.array(slaFiguresSchema.extend({ officerId: z.string(), name: z.string().nullable() })),
    byTeam: z.array(slaFiguresSchema.extend({ teamId: z.string() })),
    byCategory: z.array(slaFiguresSchema.extend({ category: z.string() })),
    byRequesterRole: z.array(slaFiguresSchema.extend({ requesterRole: z.string() })),
    byWeek: z.array(slaFiguresSchema.extend({ week: z.string().describe('The Monday (YYYY-MM-DD) of the week submitted') })),
  }),
  'SLA figures in working hours, overall and by officer, team, category, requester role and week.',
);
