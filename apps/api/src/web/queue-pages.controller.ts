import { Controller, Get, Inject, Query, Req, Res, UseFilters } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { AccessLog, requestRead } from '../access-log/access-log.service';
import { QueuesRepository, RequestViewsRepository, type Page, type PageRequest, type QueueEntry } from '@send/read-models';
import { dueInWords } from '@send/sla';
import { Public } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { decodeCursor, encodeCursor } from '../common/paging';
import { teamQuerySchema } from '../queue/queue.controller';
import { GetTeamQueueQuery } from '../queue/team-queue.query';
import { PageErrorsFilter, renderErrorPage } from './page-errors.filter';
import { PageRender } from './page-render';
import { doneBanner, RequestPage } from './request-page';
import { WebSession } from './web-session';
import { queueRow } from './web-words';

/** Rows a queue page shows (the API's default is 100: a page people read is shorter). */
export const QUEUE_PAGE_SIZE = 25;

const readsTeamQueues = (user: AuthUser) => user.role === 'officer' || (MANAGER_ROLES as readonly string[]).includes(user.role);
/** Service managers and the head of service look at any team's queue; officers and team managers work their own. */
const picksTeam = (user: AuthUser) => user.role === 'service_manager' || user.role === 'head_of_service';

/**
 * The work queues (API.md "Pages"): an officer's own, a team's, and triage, most urgent first as
 * the API orders them, 25 a page, paged with the repositories' cursor (?cursor=). Read from the
 * same repositories and query as GET /api/queue, /api/queue/team and /api/queue/triage, with the
 * same roles.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('queue')
export class QueuePagesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly queues: QueuesRepository,
    private readonly views: RequestViewsRepository,
    private readonly requestPage: RequestPage,
    private readonly render: PageRender,
    private readonly session: WebSession,
    private readonly clock: Clock,
    private readonly accessLog: AccessLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async mine(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => u.role === 'officer');
    const page = pageOf(query);
    if (!page) return renderErrorPage(request, reply, 404);
    return this.show(request, reply, user, {
      title: 'My queue',
      caption: 'Requests assigned to you, most urgent first',
      empty: 'You have no open requests. New ones for your cases will appear here.',
      path: '/queue',
      page: await this.queues.officerQueuePage(user.id, page),
      showAssignee: false,
    });
  }

  @Get('team')
  async team(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsTeamQueues);
    const page = pageOf(query);
    if (!page) return renderErrorPage(request, reply, 404);
    const chosen = teamQuerySchema.safeParse(query);
    const teamId = chosen.success ? chosen.data.teamId : undefined;
    const teams = picksTeam(user) ? await this.requestPage.teams() : [];
    // A service-wide manager with no team chosen yet is asked for one (the API would answer triage, which has its own page).
    if (picksTeam(user) && !teamId) {
      return this.show(request, reply, user, {
        title: 'Team queue',
        caption: '',
        empty: '',
        path: '/queue/team',
        page: null,
        teamItems: teamChoices(teams, undefined),
        showAssignee: true,
      });
    }
    const team = user.teamId ?? teamId;
    if (!team) return reply.redirect('/queue/triage', 303); // someone in no team works triage (as the API answers)
    return this.show(request, reply, user, {
      title: `Team queue: ${team}`,
      caption: `The ${team} team’s requests nobody has taken yet, and those of its officers who are away, most urgent first`,
      empty: `Nothing is waiting in the ${team} team’s queue.`,
      path: '/queue/team',
      params: picksTeam(user) ? { teamId: team } : {},
      page: await this.queries.execute(new GetTeamQueueQuery(user, teamId, page)),
      teamItems: picksTeam(user) ? teamChoices(teams, team) : null,
      showAssignee: true,
    });
  }

  @Get('triage')
  async triage(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsTeamQueues);
    const page = pageOf(query);
    if (!page) return renderErrorPage(request, reply, 404);
    return this.show(request, reply, user, {
      title: 'Triage',
      caption: 'Requests no team could be found for, most urgent first: send each to its case or team',
      empty: 'Nothing is waiting in triage.',
      path: '/queue/triage',
      page: await this.queues.triagePage(page),
      showAssignee: false,
    });
  }

  private async show(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    q: {
      title: string;
      caption: string;
      empty: string;
      path: string;
      params?: Record<string, string>;
      page: Page<QueueEntry> | null;
      teamItems?: Array<{ value: string; text: string; selected?: boolean }> | null;
      showAssignee: boolean;
    },
  ) {
    const { policy } = this.config;
    const now = this.clock.now();
    const entries = q.page?.items ?? [];
    // The rows shown are staff reads of those requests, as the API's queues record them.
    await this.accessLog.recordReads(
      user,
      entries.map((e) => requestRead('request', e)),
      { context: 'queue', via: 'page' },
    );
    // The subject and the update clock are not in the slim queue entry: the page's few views, read at once.
    const records = await Promise.all(entries.map((e) => this.views.get(e.id)));
    const rows = entries.map((e, i) => queueRow(e, records[i]?.view ?? null, now, (due) => dueInWords(due, policy, now)));
    const query = request.query as Record<string, unknown>;
    const link = (extra: Record<string, string>) =>
      `${q.path}?${new URLSearchParams({ ...q.params, ...extra }).toString()}`.replace(/\?$/, '');
    const pagination =
      q.page && (q.page.next || query.cursor)
        ? {
            next: q.page.next ? { href: link({ cursor: encodeCursor(q.page.next) }), labelText: 'Less urgent requests' } : undefined,
            // A cursor only goes forward: "back" is back to the most urgent.
            previous: query.cursor ? { href: link({}), text: 'Most urgent', labelText: 'Back to the start of the queue' } : undefined,
          }
        : null;
    return this.render.page(
      request,
      reply,
      'queue/queue.njk',
      {
        ...q,
        rows,
        pagination,
        chosen: q.page !== null,
        done: doneBanner(query.done),
      },
      user,
    );
  }
}

/** `?cursor=` as the repositories take it, 25 a page; null for a cursor this service never gave out. */
function pageOf(query: Record<string, unknown>): PageRequest | null {
  if (query.cursor === undefined) return { limit: QUEUE_PAGE_SIZE, after: null };
  const after = typeof query.cursor === 'string' ? decodeCursor(query.cursor) : null;
  return after ? { limit: QUEUE_PAGE_SIZE, after } : null;
}

const teamChoices = (teams: string[], chosen: string | undefined) => [
  { value: '', text: 'Choose a team' },
  ...teams.map((t) => ({ value: t, text: `The ${t} team`, selected: t === chosen })),
];
