import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { AlertsRepository, type RequestView } from '@send/read-models';
import { AcknowledgeEscalationCommand } from '../alerts/acknowledge-escalation.handler';
import { AlertsInbox, type InboxAlert } from '../alerts/alerts-inbox';
import { LiveAlerts } from '../alerts/live-alerts';
import { Public } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { ProblemException } from '../common/problem';
import { untilReadModelShows } from '../common/read-your-writes';
import { GetRequestViewQuery } from '../requests/request-view.query';
import { alertLevel, alertReason } from './alert-words';
import { PageErrorsFilter } from './page-errors.filter';
import { PageRender } from './page-render';
import { WebSession } from './web-session';

/** The inbox shows this many (highest level first, then oldest); the header count says how many there are in all. */
const ALERTS_SHOWN = 100;
/** A comment line this often keeps proxies from closing a quiet event stream. */
const KEEP_ALIVE_MS = 25_000;

const isManager = (user: AuthUser) => (MANAGER_ROLES as readonly string[]).includes(user.role);

/**
 * A manager's alerts inbox. Thin: the same inbox (AlertsInbox), command (AcknowledgeEscalationCommand)
 * and live stream (LiveAlerts) as /api/alerts, with the signed-in user, so routing is the API's: a
 * team manager sees their team's alerts only. Public to the bearer guard: the session cookie is checked here.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('alerts')
export class AlertsPagesController {
  constructor(
    private readonly inbox: AlertsInbox,
    private readonly alerts: AlertsRepository,
    private readonly live: LiveAlerts,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly render: PageRender,
    private readonly session: WebSession,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, isManager);
    const acknowledged = (request.query as Record<string, unknown>).acknowledged;
    return this.render.page(
      request,
      reply,
      'alerts/list.njk',
      { rows: await this.rows(user), acknowledged: typeof acknowledged === 'string' ? acknowledged.slice(0, 40) : null },
      user,
    );
  }

  /** The inbox table alone: the page's script swaps it in when a live alert arrives. */
  @Get('table')
  async table(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.code(401).send();
    if (!isManager(user)) return reply.code(403).send();
    return this.render.page(request, reply, 'alerts/table.njk', { rows: await this.rows(user) }, user);
  }

  /**
   * Live alerts as server-sent events: the same LiveAlerts.for(user) stream as GET /api/alerts/stream,
   * for the page's EventSource, which sends the session cookie but cannot send a bearer header.
   */
  @Get('stream')
  async stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (!user) return reply.code(401).send();
    if (!isManager(user)) return reply.code(403).send();
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': alerts\n\n');
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const subscription = this.live.for(user).subscribe({
      next: ({ type, data }) => raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`),
      // The api is shutting down: end the stream so the server can close; EventSource reconnects.
      complete: () => raw.end(),
    });
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      subscription.unsubscribe();
    });
  }

  /** "Acknowledge": POST /api/alerts/:escalationId/acknowledge's command, then back to the inbox with a success banner. */
  @Post(':escalationId/acknowledge')
  async acknowledge(@Param('escalationId') escalationId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, isManager);
    const done: RequestView = await this.commands.execute(
      new AcknowledgeEscalationCommand(escalationId, { actor: user, correlationId: request.id }),
    );
    // The alert view is projected a few ms behind: wait so the inbox shows the acknowledgement.
    await untilReadModelShows(async () => (await this.alerts.get(escalationId))?.status !== 'open');
    return reply.redirect(`/alerts?acknowledged=${encodeURIComponent(done.reference)}`, 303);
  }

  private async rows(user: AuthUser) {
    const { items } = await this.inbox.page(user, { limit: ALERTS_SHOWN });
    const subjects = await Promise.all(items.map((a) => this.subjectOf(a, user)));
    return items.map((a, i) => ({
      escalationId: a.escalationId,
      requestId: a.requestId,
      reference: a.reference,
      subject: subjects[i],
      level: alertLevel(a.level, this.config.policy),
      levelNumber: a.level,
      why: alertReason(a.reason, a.unansweredCount),
      since: a.raisedAt,
      ownerAway: a.ownerAway,
      acknowledged: a.status === 'acknowledged',
    }));
  }

  /** The request's subject, read as GET /api/requests/:id reads it (the alert is routed to this manager, so it is in scope). */
  private async subjectOf(alert: InboxAlert, user: AuthUser): Promise<string> {
    try {
      const view: RequestView = await this.queries.execute(new GetRequestViewQuery(alert.requestId, user));
      return view.subject;
    } catch (error) {
      // Scope is checked again on the read: an alert whose request left this manager's scope meanwhile shows no subject.
      if (error instanceof ProblemException) return '';
      throw error;
    }
  }
}
