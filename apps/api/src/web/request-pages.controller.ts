import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestView } from '@send/domain';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { CasesRepository, type Page, type TimelineEntry } from '@send/read-models';
import { dueInWords } from '@send/sla';
import { Public } from '../auth/auth.decorators';
import { CASE_CONTENT_ROLES, REQUESTER_ROLES, type AuthUser } from '../auth/roles';
import { ProblemException } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { submitRequestSchema } from '../requests/dto/submit-request.dto';
import { RecordAttemptCommand } from '../requests/record-attempt.handler';
import { GetRequestViewQuery, ListRequestsQuery } from '../requests/request-view.query';
import { SubmitRequestCommand } from '../requests/submit-request.command';
import { GetTimelineQuery } from '../requests/timeline.query';
import { PageErrorsFilter, renderErrorPage } from './page-errors.filter';
import { PageRender } from './page-render';
import { fieldErrors } from './public-pages.controller';
import { WebSession } from './web-session';
import { CATEGORY_CHOICES, categoryName, dealtWithBy, escalatedTo, statusTag, timelineItem } from './web-words';

/** What the GOV.UK pattern says for each field the API's schema rejects. */
const MESSAGES: Record<string, { missing: string; tooLong?: string }> = {
  caseRef: { missing: 'Select the child’s case' },
  category: { missing: 'Select what it is about' },
  subject: { missing: 'Enter a subject', tooLong: 'Subject must be 200 characters or fewer' },
  message: { missing: 'Enter your message', tooLong: 'Message must be 10,000 characters or fewer' },
};
const SUBJECT_MAX = 200;
const MESSAGE_MAX = 10_000;

const isRequester = (user: AuthUser) => (REQUESTER_ROLES as readonly string[]).includes(user.role);
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
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('new')
  async newRequest(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.redirect('/sign-in', 303);
    if (!isRequester(user)) return renderErrorPage(request, reply, 403);
    return this.form(request, reply, user, {}, null);
  }

  @Post('new')
  async submit(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.redirect('/sign-in', 303);
    if (!isRequester(user)) return renderErrorPage(request, reply, 403);
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
    const user = await this.session.user(request);
    if (!user) return reply.redirect('/sign-in', 303);
    if (!readsRequests(user)) return renderErrorPage(request, reply, 403);
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
      due: v.firstRespondedAt ? null : dueInWords(new Date(v.due.firstResponseAt), this.config.policy, now),
    }));
    return this.render.page(request, reply, 'requests/list.njk', { rows, more: page.next !== null }, user);
  }

  @Get(':id')
  async show(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.redirect('/sign-in', 303);
    if (!readsRequests(user)) return renderErrorPage(request, reply, 403);
    const view: RequestView = await this.queries.execute(new GetRequestViewQuery(id, user));
    const timeline: TimelineEntry[] = await this.queries.execute(new GetTimelineQuery(id, user));
    const { policy } = this.config;
    const now = this.clock.now();
    const query = request.query as Record<string, string | undefined>;
    const replyDue =
      view.status === 'resolved'
        ? null
        : !view.firstRespondedAt
          ? dueInWords(new Date(view.due.firstResponseAt), policy, now)
          : view.updateDueAt
            ? dueInWords(new Date(view.updateDueAt), policy, now)
            : null;
    const items = timeline
      .map((entry) => ({ entry, item: timelineItem(entry) }))
      .filter((x) => x.item !== null)
      .reverse() // newest first, as the MoJ timeline shows it
      .map(({ entry, item }) => ({ label: { text: item!.label }, text: item!.text, datetime: { timestamp: entry.at, type: 'datetime' } }));
    return this.render.page(
      request,
      reply,
      'requests/show.njk',
      {
        view,
        submitted: query.submitted === '1',
        tried: query.tried === '1',
        category: categoryName(view.category),
        status: statusTag(view.status),
        dealtWithBy: dealtWithBy(view),
        replyDue,
        escalatedTo: escalatedTo(view, policy),
        canChase: isRequester(user) && view.status !== 'resolved',
        threshold: policy.unanswered.threshold,
        timeline: items,
      },
      user,
    );
  }

  /** "I tried to get in touch again": POST /api/requests/:id/attempts's command, as the portal records it. */
  @Post(':id/attempts')
  async tried(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.redirect('/sign-in', 303);
    if (!isRequester(user)) return renderErrorPage(request, reply, 403);
    const form = (body ?? {}) as Record<string, unknown>;
    const channel = form.channel === 'phone' || form.channel === 'email' ? form.channel : 'portal';
    const key = typeof form.idempotencyKey === 'string' ? form.idempotencyKey.slice(0, 200) : undefined;
    const done: { request: RequestView } = await this.commands.execute(
      new RecordAttemptCommand(id, { channel, outcome: 'unanswered' }, { actor: user, idempotencyKey: key || undefined, correlationId: request.id }),
    );
    await this.untilShown(done.request, user);
    return reply.redirect(`/requests/${encodeURIComponent(id)}?tried=1`, 303);
  }

  /**
   * The page after a post reads the request views, which the worker projects a few ms behind: wait
   * (briefly, at most a second) until they show this write, so the family sees what they just did.
   */
  private async untilShown(written: RequestView, user: AuthUser): Promise<void> {
    for (let i = 0; i < 40; i++) {
      const shown: RequestView = await this.queries.execute(new GetRequestViewQuery(written.id, user));
      if (shown.updatedAt >= written.updatedAt) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
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
