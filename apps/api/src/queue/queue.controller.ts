import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QueuesRepository, queueRowsJson, type QueuePage } from '@send/read-models';
import { linkNextPage, parsePageQuery } from '../common/paging';
import { ApiPagedList, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { AccessLog, requestRead } from '../access-log/access-log.service';
import { queueEntrySchema } from './dto/queue-entry.dto';
import { GetTeamQueueQuery } from './team-queue.query';

export const teamQuerySchema = z.object({ teamId: z.string().trim().min(1).max(64).optional() });

/**
 * Work queues, most urgent first: escalated requests, then the earliest due. Paged (?limit=&cursor=, Link rel="next").
 * Each row shown is a staff read of that request, context `queue`, in the access log (ADR 0014).
 */
@ApiTags('queue')
@ApiSignedIn()
@Controller('api/queue')
export class QueueController {
  constructor(
    private readonly queues: QueuesRepository,
    private readonly queries: QueryBus,
    private readonly accessLog: AccessLog,
  ) {}

  @Get()
  @Roles('officer')
  @ApiOperation({ summary: "The caller's own open requests, most urgent first" })
  @ApiPagedList(queueEntrySchema)
  async mine(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const page = parsePageQuery(query);
    return this.answer(user, request, reply, page.limit, await this.queues.officerQueuePage(user.id, page));
  }

  @Get('team')
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({
    summary:
      "The team's unassigned requests and its away officers' open ones (needsCover), most urgent first. Officers and team managers: their own team; service managers and the head of service: ?teamId= (none: triage)",
  })
  @ApiZodQuery(teamQuerySchema)
  @ApiPagedList(queueEntrySchema)
  async team(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const { teamId } = parseInput(teamQuerySchema, query, 'query');
    const page = parsePageQuery(query);
    return this.answer(user, request, reply, page.limit, await this.queries.execute(new GetTeamQueueQuery(user, teamId, page)));
  }

  @Get('triage')
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Requests routed to no team (no case, an unknown case, or several), most urgent first' })
  @ApiPagedList(queueEntrySchema)
  async triage(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const page = parsePageQuery(query);
    return this.answer(user, request, reply, page.limit, await this.queues.triagePage(page));
  }

  /**
   * The page's rows (the slim entries without their scores) as the JSON body, with the Link header
   * when more follow, once they are recorded as read by the caller. The body is the stored rows
   * spliced together into UTF-8 (queueRowsJson), not serialised again: the same bytes, for a
   * fraction of the CPU.
   */
  private async answer(user: AuthUser, request: FastifyRequest, reply: FastifyReply, limit: number, page: QueuePage): Promise<Buffer> {
    await this.accessLog.recordReads(
      user,
      page.rows.map((row) => requestRead('request', row)),
      { context: 'queue', via: 'api' },
    );
    linkNextPage(request, reply, limit, page);
    void reply.type('application/json; charset=utf-8');
    return queueRowsJson(page);
  }
}
