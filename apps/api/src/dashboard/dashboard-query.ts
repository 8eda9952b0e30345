import { z } from 'zod';
import type { SlaDashboard, SlaDashboardService } from '@send/read-models';
import { forbidden } from '../common/problem';
import { parseInput } from '../common/zod-body';
import type { AuthUser } from '../auth/roles';

const date = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .or(z.iso.date({ error: 'must be a date (YYYY-MM-DD) or date-time' }));

/** GET /api/dashboard/sla's query; the /dashboard page maps its filter form onto the same fields. */
export const dashboardQuerySchema = z.object({
  from: date.optional(),
  to: date.optional(),
  teamId: z.string().trim().min(1).max(64).optional(),
  officerId: z.string().trim().min(1).max(64).optional().describe('Requests assigned to this officer now (breaches: those they owned)'),
  category: z.string().trim().min(1).max(64).optional().describe('Requests of this category'),
  requesterRole: z.string().trim().min(1).max(64).optional().describe('Requests from this kind of requester (parent, school, professional, mp)'),
  channel: z.string().trim().min(1).max(64).optional().describe('Requests that came in this way (portal, phone, email, letter, in_person, mp)'),
  asOf: date.optional(),
});

/**
 * The SLA dashboard this user may see for this query (GET /api/dashboard/sla and /dashboard alike).
 * Throws a 400 problem for a bad query, and 403 when a team manager asks for another team.
 */
export function slaDashboardFor(dashboard: SlaDashboardService, user: AuthUser, query: unknown): Promise<SlaDashboard> {
  const { asOf, ...filter } = parseInput(dashboardQuerySchema, query, 'query');
  // A team manager's dashboard is their team's, and only theirs (API.md's scope table).
  if (user.role === 'team_manager' && filter.teamId !== undefined && filter.teamId !== user.teamId)
    throw forbidden(`You manage team ${user.teamId}: your dashboard is that team's.`);
  const scoped = { ...filter, teamId: user.role === 'team_manager' ? (user.teamId ?? undefined) : filter.teamId };
  return asOf ? dashboard.asOf(new Date(asOf), scoped) : dashboard.live(scoped);
}
