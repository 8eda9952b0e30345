import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerPage, parsePageQuery } from '../common/paging';
import { ApiPagedList, ApiProblems, ApiSignedIn, ApiZodQuery } from '../common/openapi';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ACCESS_LOG_READERS, type AuthUser } from '../auth/roles';
import { accessLogPageFor } from './access-log-page';
import type { AccessLogEntry } from './access-log.port';
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
    const page = parsePageQuery(query);
    const entries = await accessLogPageFor(this.log, user, query, page);
    return answerPage(request, reply, page.limit, { items: entries.items.map(answerOf), next: entries.next });
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
