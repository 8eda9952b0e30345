import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SlaDashboardService, type SlaDashboard } from '@send/read-models';
import { ApiAnswer, ApiProblems, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { slaDashboardSchema } from './dto/sla-dashboard.dto';
import { dashboardQuerySchema, slaDashboardFor } from './dashboard-query';

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
    return slaDashboardFor(this.dashboard, user, query);
  }
}
