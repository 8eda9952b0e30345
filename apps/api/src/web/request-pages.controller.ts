import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestView } from '@send/domain';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { CasesRepository, type Page } from '@send/read-models';
import { dueInWords } from '@send/sla';
import { Public } from '../auth/auth.decorators';
import { CASE_CONTENT_ROLES, type AuthUser } from '../auth/roles';
import { ProblemException } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { submitRequestSchema } from '../requests/dto/submit-request.dto';
import { recordAttemptSchema, reopenSchema } from '../requests/dto/request-actions.dto';
import { RecordAttemptCommand } from '../requests/record-attempt.handler';
import { ListRequestsQuery } from '../requests/request-view.query';
import { ReopenRequestCommand } from '../requests/resolve-request.handler';
import { SubmitRequestCommand } from '../requests/submit-request.command';
import { PageErrorsFilter } from './page-errors.filter';
import { PageRender } from './page-render';
import { fieldErrors } from './public-pages.controller';
import { formOf, RequestActions } from './request-actions';
import { isRequester, RequestPage } from './request-page';
import { WebSession } from './web-session';
import { CATEGORY_CHOICES, categoryName, replyDueWords, statusTag, type FieldMessages } from './web-words';

/** What the GOV.UK pattern says for each field the API's schema rejects. */
const MESSAGES: Record<string, { missing: string; tooLong?: string }> = {
  caseRef: { missing: 'Select the child’s case' },
  category: { missing: 'Select what it is about' },
  subject: { missing: 'Enter a subject', tooLong: 'Subject must be 200 characters or fewer' },
  message: { missing: 'Enter your message', tooLong: 'Message must be 10,000 characters or fewer' },
};
const SUBJECT_MAX = 200;
const MESSAGE_MAX = 10_000;

const ATTEMPT_MESSAGES: FieldMessages = { channel: { missing: 'Select how you tried to get in touch' } };
const REOPEN_MESSAGES: FieldMessages = {
  reason: { missing: 'Enter why you are reopening it', tooLong: 'Reason must be 2,000 characters or fewer', max: 2_000 },
};

const readsRequests = (user: AuthUser) => (CASE_CONTENT_ROLES as readonly string[]).includes(user.role);

/**
 * A family's or school's request pages. Thin: the form is checked with the API's own schema and
 * goes to the same command and query handlers as /api/requests, with the same user, so scope and
 * rules are the API's. Public to the bearer guard: the session cookie is checked here.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('requests')
export class RequestPagesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly cases: CasesRepository,
    private readonly render: PageRender,
    private readonly session: WebSession,
    private readonly requestPage: RequestPage,
    private readonly requestActions: RequestActions,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('new')
  async newRequest(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, isRequester);
    return this.form(request, reply, user, {}, null);
  }

  @Post('new')
  async submit(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, isRequester);
    const form = (body ?? {}) as Record<string, unknown>;
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
    const values = { caseRef: field('caseRef'), category: field('category'), subject: field('subject'), message: field('message') };
    const linked = await this.cases.casesOfUser(user);

    const errors: Array<{ field: string; text: string }> = [];
    // The API lets a request name no case (it goes to triage); the page asks for one when the family has any.
    if (linked.length > 0 && !linked.some((c) => c.caseRef === values.caseRef)) errors.push({ field: 'caseRef', text: MESSAGES.caseRef.missing });
    let input: ReturnType<typeof submitRequestSchema.parse> | null = null;
    try {
      input = parseInput(submitRequestSchema, {
        caseRef: linked.length > 0 ? values.caseRef : undefined,
        category: values.category,
        subject: values.subject ?? '',
        message: values.message ?? '',
        channel: 'portal',
      });
    } catch (error) {
      if (!(error instanceof ProblemException)) throw error;
      for (const e of error.problem.errors ?? []) {
        const words = MESSAGES[e.field];
        const tooLong = e.field === 'subject' ? (values.subject ?? '').trim().length > SUBJECT_MAX : e.field === 'message' && (values.message ?? '').trim().length > MESSAGE_MAX;
        errors.push({ field: e.field, text: words ? ((tooLong && words.tooLong) || words.missing) : `Check ${e.field}` });
      }
    }
    if (errors.length || !input) return this.form(request, reply, user, values, fieldErrors(errors), 400, field('idempotencyKey'));

    // The form's own key: pressing submit twice (or back and submit) files one request, not two.
    const key = field('idempotencyKey')?.slice(0, 200) || undefined;
    const view: RequestView = await this.commands.execute(new SubmitRequestCommand(input, user, key, request.id));
    return reply.redirect(`/requests/${encodeURIComponent(view.id)}?submitted=1`, 303);
  }

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsRequests);
    // The same scoped list as GET /api/requests (its first page, newest first).
    const page: Page<RequestView> = await this.queries.execute(new ListRequestsQuery(user, {}, { limit: 100 }));
    const now = this.clock.now();
    const rows = page.items.map((v) => ({
      id: v.id,
      reference: v.reference,
      subject: v.subject,
      category: categoryName(v.category),
      status: statusTag(v.status),
      submitted: v.submittedAt,
      due: replyDueWords(v, now, (due) => dueInWords(due, this.config.policy, now)),
    }));
    return this.render.page(request, reply, 'requests/list.njk', { rows, more: page.next !== null }, user);
  }

  @Get(':id')
  async show(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsRequests);
    return this.requestPage.show(request, reply, user, id);
  }

  /** "I tried to get in touch again", and how: POST /api/requests/:id/attempts's command, as the portal records it. */
  @Post(':id/attempts')
  async tried(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, isRequester);
    const form = formOf(body);
    const values = { channel: form('channel') };
    return this.requestActions.act(request, reply, user, id, 'tried', ATTEMPT_MESSAGES, values, (ctx) =>
      this.commands
        .execute(new RecordAttemptCommand(id, parseInput(recordAttemptSchema, { channel: values.channel, outcome: 'unanswered' }), ctx))
        .then((done: { request: RequestView }) => done.request),
      { idempotencyKey: form('idempotencyKey') },
    );
  }

  /** "Reopen this request": POST /api/requests/:id/reopen's command. The family may within the policy's reopenWithin; staff any time. */
  @Post(':id/reopen')
  async reopen(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsRequests);
    const form = formOf(body);
    const values = { reason: form('reason') };
    return this.requestActions.act(
      request,
      reply,
      user,
      id,
      'reopened',
      REOPEN_MESSAGES,
      values,
      (ctx) => this.commands.execute(new ReopenRequestCommand(id, parseInput(reopenSchema, { reason: values.reason ?? '' }), ctx)),
      { idempotencyKey: form('idempotencyKey') },
    );
  }

  private async form(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    values: Record<string, string | undefined>,
    errors: ReturnType<typeof fieldErrors> | null,
    status = 200,
    idempotencyKey: string = randomUUID(),
  ) {
    const linked = await this.cases.casesOfUser(user);
    const caseItems = linked.map((c) => ({ value: c.caseRef, text: c.childName, hint: { text: `Case ${c.caseRef}` }, checked: values.caseRef === c.caseRef }));
    const categoryItems = CATEGORY_CHOICES.map((c) => ({ value: c.value, text: c.text, hint: { text: c.hint }, checked: values.category === c.value }));
    return this.render.page(
      request,
      reply,
      'requests/new.njk',
      { values, errors, caseItems, categoryItems, idempotencyKey, subjectMax: SUBJECT_MAX, messageMax: MESSAGE_MAX },
      user,
      status,
    );
  }
}
