import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { queueScore, QueuesRepository, type RequestView } from '@send/read-models';
import { ApiPagedList, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { queueEntrySchema } from './dto/queue-entry.dto';

const teamQuerySchema = z.object({ teamId: z.string().trim().min(1).max(64).optional() });

/** Work queues, most urgent first: escalated requests, then the earliest due. */
@ApiTags('queue')
@ApiSignedIn()
@Controller('api/queue')
export class QueueController {
  constructor(private readonly queues: QueuesRepository) {}

  @Get()
  @Roles('officer')
  @ApiOperation({ summary: "The caller's own open requests, most urgent first" })
  @ApiPagedList(queueEntrySchema)
  async mine(@CurrentUser() user: AuthUser): Promise<RequestView[]> {
    return (await this.queues.officerQueue(user.id)).map((r) => r.view);
  }

  @Get('team')
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: "The team's unassigned requests and those not yet routed to any team, most urgent first" })
  @ApiZodQuery(teamQuerySchema)
  @ApiPagedList(queueEntrySchema)
  async team(@CurrentUser() user: AuthUser, @Query() query: unknown): Promise<RequestView[]> {
    const { teamId } = parseInput(teamQuerySchema, query, 'query');
    // Officers and team managers work their own team; service-wide roles may pick one with ?teamId=.
    const team = user.teamId ?? teamId ?? null;
    // A request nobody has routed yet belongs on every team's list until someone claims it.
    const [routed, unrouted] = await Promise.all([team ? this.queues.teamQueue(team) : [], this.queues.teamQueue(null)]);
    return [...routed, ...unrouted].sort((a, b) => queueScore(a) - queueScore(b)).map((r) => r.view);
  }
}
