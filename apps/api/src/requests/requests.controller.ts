import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Page, RequestView } from '@send/read-models';
import { answerPage, parsePageQuery } from '../common/paging';
import { CommandCaller, type Caller } from '../common/api-http';
import {
  ApiAnswer,
  ApiCommand,
  ApiJsonBody,
  ApiPagedList,
  ApiProblems,
  ApiSignedIn,
  ApiZodQuery,
  idempotencyKeySchema,
} from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { CASE_CONTENT_ROLES, MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { ACCESS_CONTEXTS, type ReadContext } from '../access-log/access-log.port';
import { listContext } from '../access-log/access-log.service';
import { AssignRequestCommand } from './assign-request.handler';
import {
  assignSchema,
  callBackFailedSchema,
  prioritySchema,
  reopenSchema,
  recordAttemptSchema,
  recordResponseSchema,
  resolveSchema,
  routeSchema,
} from './dto/request-actions.dto';
import { RouteRequestCommand } from './route-request.handler';
import { recordAttemptAnswerSchema, recordResponseAnswerSchema, requestViewSchema, timelineEntrySchema } from './dto/request-view.dto';
import { submitRequestSchema } from './dto/submit-request.dto';
import { RecordAttemptCommand } from './record-attempt.handler';
import { RecordFailedCallBackCommand } from './record-failed-call-back.handler';
import { RecordResponseCommand } from './record-response.handler';
import type { RequestCommandContext } from './request-commands';
import { GetRequestViewQuery, ListRequestsQuery } from './request-view.query';
import { ReopenRequestCommand, ResolveRequestCommand, SetPriorityCommand } from './resolve-request.handler';
import { GetTimelineQuery } from './timeline.query';
import { SubmitRequestCommand } from './submit-request.command';

const listFilterSchema = z.object({
  status: z.enum(['open', 'assigned', 'responded', 'resolved']).optional(),
  caseRef: z.string().trim().min(1).max(64).optional(),
});

/** Why a member of staff opens a request, for the access log (ADR 0014): the client says where the link was. */
const readContextSchema = z.object({
  context: z
    .enum(ACCESS_CONTEXTS)
    .default('direct')
    .describe('Where the reader came from, for the access log: direct (default), list, search, queue or case'),
});
const readContext = (query: unknown): ReadContext => ({ context: parseInput(readContextSchema, query ?? {}, 'query').context, via: 'api' });

/** Thin: parse, authorize by role, hand to the command or query bus. Rules live in the domain. */
@ApiTags('requests')
@ApiSignedIn()
@Controller('api/requests')
export class RequestsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('parent', 'school', 'professional', 'officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Submit a contact request (staff: on behalf of `requester`)' })
  @ApiJsonBody(submitRequestSchema)
  @ApiAnswer(requestViewSchema, { status: 201, description: 'The request as submitted' })
  @ApiCommand()
  async submit(@Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string): Promise<RequestView> {
    const input = parseInput(submitRequestSchema, body);
    const { actor, idempotencyKey, correlationId } = context(caller, key);
    return this.commands.execute(new SubmitRequestCommand(input, actor, idempotencyKey, correlationId));
  }

  @Get()
  @Roles(...CASE_CONTENT_ROLES)
  @ApiOperation({
    summary:
      "Requests in your scope, newest first: your own and your cases' (families, schools); your team's, yours and triage (officers, team managers); all (service managers)",
  })
  @ApiZodQuery(listFilterSchema)
  @ApiPagedList(requestViewSchema)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RequestView[]> {
    const filter = parseInput(listFilterSchema, query, 'query');
    const page = parsePageQuery(query);
    const views: Page<RequestView> = await this.queries.execute(new ListRequestsQuery(user, filter, page, listContext(filter, 'api')));
    return answerPage(request, reply, page.limit, views);
  }

  @Get(':id')
  @Roles(...CASE_CONTENT_ROLES)
  @ApiOperation({ summary: 'One request view' })
  @ApiZodQuery(readContextSchema)
  @ApiAnswer(requestViewSchema)
  @ApiProblems(400, 404)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser, @Query() query: unknown): Promise<RequestView> {
    return this.queries.execute(new GetRequestViewQuery(id, user, readContext(query)));
  }

  @Get(':id/timeline')
  @Roles(...CASE_CONTENT_ROLES)
  @ApiOperation({ summary: "The request's history, oldest first" })
  @ApiZodQuery(readContextSchema)
  @ApiAnswer(z.array(timelineEntrySchema))
  @ApiProblems(400, 404)
  timeline(@Param('id') id: string, @CurrentUser() user: AuthUser, @Query() query: unknown) {
    return this.queries.execute(new GetTimelineQuery(id, user, readContext(query)));
  }

  @Post(':id/attempts')
  @Roles('parent', 'school', 'professional', 'officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Record that the requester tried again and got no answer' })
  @ApiJsonBody(recordAttemptSchema)
  @ApiAnswer(recordAttemptAnswerSchema, { status: 201, description: 'The attempt recorded, and the request after it' })
  @ApiCommand(404)
  recordAttempt(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new RecordAttemptCommand(id, parseInput(recordAttemptSchema, body), context(caller, key)));
  }

  @Post(':id/assign')
  @HttpCode(200)
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Claim (officer) or assign (manager) a request' })
  @ApiJsonBody(assignSchema)
  @ApiAnswer(requestViewSchema, { description: 'The request after assignment' })
  @ApiCommand(404)
  assign(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new AssignRequestCommand(id, parseInput(assignSchema, body).officerId, context(caller, key)));
  }

  @Post(':id/route')
  @HttpCode(200)
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Send a request to a case (its team and case officer) or to a team: from triage, or away from where it is' })
  @ApiJsonBody(routeSchema)
  @ApiAnswer(requestViewSchema, { description: 'The request after routing' })
  @ApiCommand(404)
  route(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    const { caseRef, teamId } = parseInput(routeSchema, body);
    const target = caseRef !== undefined ? { caseRef } : { teamId: teamId! };
    return this.commands.execute(new RouteRequestCommand(id, target, context(caller, key)));
  }

  @Post(':id/responses')
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({
    summary:
      'Record a reply: full (answers the family, resolves an open escalation) or holding (starts the update clock); both clear unanswered attempts',
  })
  @ApiJsonBody(recordResponseSchema)
  @ApiAnswer(recordResponseAnswerSchema, { status: 201, description: 'The response recorded, and the request after it' })
  @ApiCommand(404)
  respond(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new RecordResponseCommand(id, parseInput(recordResponseSchema, body), context(caller, key)));
  }

  @Post(':id/call-back-failed')
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Record a call-back that did not get through (effort, not a response)' })
  @ApiJsonBody(callBackFailedSchema, { required: false, description: 'May be omitted, as may its `at`' })
  @ApiAnswer(requestViewSchema, { status: 201, description: 'The request after the failed call-back' })
  @ApiCommand(404)
  callBackFailed(
    @Param('id') id: string,
    @Body() body: unknown,
    @CommandCaller() caller: Caller,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.commands.execute(new RecordFailedCallBackCommand(id, parseInput(callBackFailedSchema, body ?? {}), context(caller, key)));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Resolve a request (one that never had a reply needs withoutReply.reason)' })
  @ApiJsonBody(resolveSchema)
  @ApiAnswer(requestViewSchema, { description: 'The request, resolved' })
  @ApiCommand(404)
  resolve(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new ResolveRequestCommand(id, parseInput(resolveSchema, body), context(caller, key)));
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @Roles(...CASE_CONTENT_ROLES)
  @ApiOperation({
    summary: 'Reopen a resolved request: the family within sla.reopenWithin of resolution, staff at any time; clocks start again',
  })
  @ApiJsonBody(reopenSchema)
  @ApiAnswer(requestViewSchema, { description: 'The request, reopened' })
  @ApiCommand(404)
  reopen(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new ReopenRequestCommand(id, parseInput(reopenSchema, body), context(caller, key)));
  }

  @Post(':id/priority')
  @HttpCode(200)
  @Roles('officer', ...MANAGER_ROLES)
  @ApiOperation({ summary: 'Set the priority that drives the clocks (due dates are computed again from the received time)' })
  @ApiJsonBody(prioritySchema)
  @ApiAnswer(requestViewSchema, { description: 'The request with its new priority and due dates' })
  @ApiCommand(404)
  priority(@Param('id') id: string, @Body() body: unknown, @CommandCaller() caller: Caller, @Headers('idempotency-key') key?: string) {
    return this.commands.execute(new SetPriorityCommand(id, parseInput(prioritySchema, body), context(caller, key)));
  }
}

function context({ actor, correlationId }: Caller, key: string | undefined): RequestCommandContext {
  // Most commands come without a key, and an absent key needs no checking (the schema is optional).
  const idempotencyKey = key === undefined ? undefined : parseInput(idempotencyKeySchema, key, 'Idempotency-Key header');
  return { actor, idempotencyKey, correlationId };
}
