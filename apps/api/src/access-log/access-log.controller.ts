import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerPage, parsePageQuery } from '../common/paging';
import { ApiPagedList, ApiProblems, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { badRequest, forbidden } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ACCESS_LOG_READERS, type AuthUser } from '../auth/roles';
import type { AccessLogEntry, AccessLogFilter } from './access-log.port';
import { AccessLog } from './access-log.service';
import { accessLogEntrySchema, accessLogQuerySchema, type AccessLogEntryAnswer } from './dto/access-log.dto';

/** Thin: parse the filters, pin a team manager to their team (ADR 0014), page through the log. */
@ApiTags('personal data')
@ApiSignedIn()
@Controller('api/access-log')
export class AccessLogController {
  constructor(private readonly log: AccessLog) {}

  @Get()
  @Roles(...ACCESS_LOG_READERS)
  @ApiOperation({
    summary:
      "Staff reads of requests, timelines and cases, newest first: service managers, the head of service and the data protection officer all of them; a team manager their team's",
  })
  @ApiZodQuery(accessLogQuerySchema)
  @ApiPagedList(accessLogEntrySchema, 'A page of the log, newest first')
  @ApiProblems(400, 403)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccessLogEntryAnswer[]> {
    const { caseRef, userId, from, to } = parseInput(accessLogQuerySchema, query, 'query');
    const page = parsePageQuery(query);
    // The cursor's id is an entry's sequence number: any other (well-formed) cursor came from another list.
    if (page.after && !/^\d+$/.test(page.after.id))
      throw badRequest('The cursor is not one this list gave out.', [
        { field: 'cursor', message: 'use the Link header of the previous page' },
      ]);
    const filter: AccessLogFilter = {
      caseRef,
      userId,
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
      teamId: this.teamScopeOf(user),
    };
    const entries = await this.log.query(filter, page);
    return answerPage(request, reply, page.limit, { items: entries.items.map(answerOf), next: entries.next });
  }

  /** Team managers read their team's part of the log (reads of requests and cases routed to it); service-wide roles all of it. */
  private teamScopeOf(user: AuthUser): string | undefined {
    if (user.role !== 'team_manager') return undefined;
    if (user.teamId === null) throw forbidden('A team manager with no team has no part of the access log.');
    return user.teamId;
  }
}

const answerOf = (e: AccessLogEntry): AccessLogEntryAnswer => ({
  at: e.at.toISOString(),
  userId: e.userId,
  role: e.role,
  what: e.what,
  id: e.id,
  caseRef: e.caseRef,
  teamId: e.teamId,
  context: e.context,
  via: e.via,
});
