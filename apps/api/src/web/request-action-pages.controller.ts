import { Body, Controller, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestView } from '@send/domain';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { Public } from '../auth/auth.decorators';
import { parseInput } from '../common/zod-body';
import { AssignRequestCommand } from '../requests/assign-request.handler';
import {
  assignSchema,
  callBackFailedSchema,
  prioritySchema,
  recordResponseSchema,
  resolveSchema,
  routeSchema,
} from '../requests/dto/request-actions.dto';
import { RecordFailedCallBackCommand } from '../requests/record-failed-call-back.handler';
import { RecordResponseCommand } from '../requests/record-response.handler';
import type { RequestCommandContext } from '../requests/request-commands';
import { ResolveRequestCommand, SetPriorityCommand } from '../requests/resolve-request.handler';
import { RouteRequestCommand } from '../requests/route-request.handler';
import { endOfDay, parseDateParts } from './date-inputs';
import { PageErrorsFilter } from './page-errors.filter';
import { formOf, RequestActions } from './request-actions';
import { worksRequests } from './request-page';
import { WebSession } from './web-session';
import type { FieldMessages } from './web-words';

/** The reply form's fields, in the order the form shows them (the first is where a general problem points). */
const RESPONSE_MESSAGES: FieldMessages = {
  kind: { missing: 'Select whether this is a holding reply or a full reply' },
  channel: { missing: 'Select how you replied' },
  summary: { missing: 'Enter what you told the family', tooLong: 'What you told the family must be 5,000 characters or fewer', max: 5_000 },
};
const CALL_BACK_MESSAGES: FieldMessages = { callBack: { missing: 'The failed call-back could not be recorded' } };
const ASSIGN_MESSAGES: FieldMessages = { officerId: { missing: 'Select an officer' } };
const PRIORITY_MESSAGES: FieldMessages = { priority: { missing: 'Select a priority' } };
const RESOLVE_MESSAGES: FieldMessages = {
  outcome: { missing: 'Enter how it was resolved', tooLong: 'How it was resolved must be 2,000 characters or fewer', max: 2_000 },
  'withoutReply.reason': { missing: 'Select why you are closing it without a reply' },
  'withoutReply.answeredAt': { missing: 'Enter the date the family was answered, for example 27 3 2026' },
};
const ROUTE_MESSAGES: FieldMessages = {
  caseRef: { missing: 'Enter a case reference or choose a team' },
  teamId: { missing: 'Choose a team' },
};

/** Empty text inputs post "": the API's schemas mean absent. */
const given = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

/**
 * The staff actions on the request page (API.md: officers and managers): respond, a failed
 * call-back, assign, priority, resolve, route. Each posts the API's field names and runs the same
 * command as /api/requests/:id/..., with the signed-in user, so the API's rules and scope decide.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('requests')
export class RequestActionPagesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly actions: RequestActions,
    private readonly session: WebSession,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/responses')
  async respond(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    const values = { kind: form('kind'), channel: form('channel'), summary: form('summary') };
    return this.staffAction(request, reply, id, values.kind === 'holding' ? 'holding' : 'responded', RESPONSE_MESSAGES, values, form, (ctx) =>
      this.commands
        .execute(
          new RecordResponseCommand(
            id,
            parseInput(recordResponseSchema, { kind: values.kind ?? null, channel: values.channel, summary: values.summary ?? '' }),
            ctx,
          ),
        )
        .then((done: { request: RequestView }) => done.request),
    );
  }

  @Post(':id/call-back-failed')
  async callBackFailed(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    return this.staffAction(request, reply, id, 'callBackFailed', CALL_BACK_MESSAGES, {}, form, (ctx) =>
      this.commands.execute(new RecordFailedCallBackCommand(id, parseInput(callBackFailedSchema, {}), ctx)),
    );
  }

  @Post(':id/assign')
  async assign(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    const values = { officerId: form('officerId') };
    return this.staffAction(request, reply, id, 'assigned', ASSIGN_MESSAGES, values, form, (ctx) =>
      this.commands.execute(new AssignRequestCommand(id, parseInput(assignSchema, { officerId: given(values.officerId) }).officerId, ctx)),
    );
  }

  @Post(':id/priority')
  async priority(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    const values = { priority: form('priority') };
    return this.staffAction(request, reply, id, 'priority', PRIORITY_MESSAGES, values, form, (ctx) =>
      this.commands.execute(new SetPriorityCommand(id, parseInput(prioritySchema, { priority: values.priority }), ctx)),
    );
  }

  @Post(':id/resolve')
  async resolve(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    const values = {
      outcome: form('outcome'),
      'withoutReply.reason': given(form('withoutReply.reason')),
      'withoutReply.answeredAt-day': form('withoutReply.answeredAt-day'),
      'withoutReply.answeredAt-month': form('withoutReply.answeredAt-month'),
      'withoutReply.answeredAt-year': form('withoutReply.answeredAt-year'),
    };
    return this.staffAction(request, reply, id, 'resolved', RESOLVE_MESSAGES, values, form, (ctx) => {
      const reason = values['withoutReply.reason'];
      const withoutReply = reason ? { reason, answeredAt: reason === 'answered_outside' ? this.answeredAt(values) : undefined } : undefined;
      return this.commands.execute(new ResolveRequestCommand(id, parseInput(resolveSchema, { outcome: values.outcome ?? '', withoutReply }), ctx));
    });
  }

  @Post(':id/route')
  async route(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(body);
    const values = { caseRef: given(form('caseRef')), teamId: given(form('teamId')) };
    return this.staffAction(
      request,
      reply,
      id,
      'routed',
      ROUTE_MESSAGES,
      values,
      form,
      (ctx) => {
        const { caseRef, teamId } = parseInput(routeSchema, values);
        return this.commands.execute(new RouteRequestCommand(id, caseRef !== undefined ? { caseRef } : { teamId: teamId! }, ctx));
      },
      true, // "No open case" is the case reference field's error, not a missing page
    );
  }

  /** Signed in as someone who works requests, then the shared action flow. */
  private async staffAction(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    done: Parameters<RequestActions['act']>[4],
    messages: FieldMessages,
    values: Record<string, string | undefined>,
    form: ReturnType<typeof formOf>,
    run: (ctx: RequestCommandContext) => Promise<RequestView>,
    notFoundIsAField = false,
  ) {
    const user = await this.session.require(request, worksRequests);
    return this.actions.act(request, reply, user, id, done, messages, values, run, { idempotencyKey: form('idempotencyKey'), notFoundIsAField });
  }

  /**
   * When the family was answered, from the form's date: the end of that day in the policy's time
   * zone, or now if that is still to come (the API refuses a time in the future). Unset or not a
   * real date: left out, and the API says it is needed.
   */
  private answeredAt(values: Record<string, string | undefined>): string | undefined {
    const parsed = parseDateParts(
      { day: values['withoutReply.answeredAt-day'], month: values['withoutReply.answeredAt-month'], year: values['withoutReply.answeredAt-year'] },
      'The date',
    );
    if (!parsed || !('date' in parsed)) return undefined;
    const end = endOfDay(parsed.date, this.config.policy.calendar.timezone);
    const now = this.clock.now();
    return Date.parse(end) > now.getTime() ? now.toISOString() : new Date(Date.parse(end) - 1).toISOString();
  }
}
