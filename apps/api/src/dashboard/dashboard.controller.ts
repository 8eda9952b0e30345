import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SlaDashboardService, type SlaDashboard } from '@send/read-models';
import { ApiAnswer, ApiProblems, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { forbidden } from '../common/problem';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { slaDashboardSchema } from './dto/sla-dashboard.dto';

const date = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .or(z.iso.date({ error: 'must be a date (YYYY-MM-DD) or date-time' }));
const dashboardQuerySchema = z.object({
  from: date.optional(),
  to: date.optional(),
  teamId: z.string().trim().min(1).max(64).optional(),
  asOf: date.optional(),
});

@ApiTags('dashboard')
@ApiSignedIn()
@Controller('api/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: SlaDashboardService) {}

  @Get('sla')
  @Roles(...MANAGER_ROLES, 'admin')
  @ApiOperation({
    summary: 'SLA figures in working hours; ?asOf= replays the event store up to a past date',
    description:
      'First response within SLA over every request that was due (answered or not); percentiles count requests still waiting at ' +
      'their current age, marked censored, with a flag when a percentile is only a lower bound (chosen over a Kaplan–Meier estimate: ' +
      'no assumption about waits still running); breaches by the officer and team that owned the request when the clock ran out. ' +
      'Each field is described in the SlaDashboard schema; docs/dashboard.md writes every definition out.',
  })
  @ApiZodQuery(dashboardQuerySchema)
  @ApiAnswer(slaDashboardSchema)
  @ApiProblems(400, 403)
  sla(@CurrentUser() user: AuthUser, @Query() query: unknown): Promise<SlaDashboard> {
    const { asOf, ...filter } = parseInput(dashboardQuerySchema, query, 'query');
    // A team manager's dashboard is their team's, and only theirs (API.md's scope table).
    if (user.role === 'team_manager' && filter.teamId !== undefined && filter.teamId !== user.teamId)
      throw forbidden(`You manage team ${user.teamId}: your dashboard is that team's.`);
    const scoped = { ...filter, teamId: user.role === 'team_manager' ? (user.teamId ?? undefined) : filter.teamId };
    return asOf ? this.dashboard.asOf(new Date(asOf), scoped) : this.dashboard.live(scoped);
  }
}
