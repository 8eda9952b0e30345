import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UsersRepository } from '@send/read-models';
import { accessLogPageFor } from '../access-log/access-log-page';
import { AccessLog } from '../access-log/access-log.service';
import { Public } from '../auth/auth.decorators';
import { ACCESS_LOG_READERS, type AuthUser } from '../auth/roles';
import { ProblemException } from '../common/problem';
import { encodeCursor, parsePageQuery } from '../common/paging';
import { PageErrorsFilter } from './page-errors.filter';
import { PageRender } from './page-render';
import { fieldErrors } from './public-pages.controller';
import { WebSession } from './web-session';
import { roleName } from './web-words';

const PAGE_SIZE = 50;
const FILTERS = ['caseRef', 'userId', 'from', 'to'] as const;
const CONTEXT_WORDS: Record<string, string> = {
  direct: 'Opened directly',
  list: 'In a list',
  search: 'In a search',
  queue: 'In a work queue',
  case: 'On its case',
  export: 'In a subject access export',
};

const readsLog = (user: AuthUser) => (ACCESS_LOG_READERS as readonly string[]).includes(user.role);

/**
 * The access log as a page (ADR 0014): who of the staff read which child's requests, timelines and
 * cases, newest first, for the data protection officer and managers. The same query as GET
 * /api/access-log (accessLogPageFor: its filters, a team manager's team only).
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('access-log')
export class AccessLogPagesController {
  constructor(
    private readonly log: AccessLog,
    private readonly users: UsersRepository,
    private readonly render: PageRender,
    private readonly session: WebSession,
  ) {}

  @Get()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, readsLog);
    const query = request.query as Record<string, unknown>;
    // The form's empty fields are no filter.
    const values = Object.fromEntries(FILTERS.map((f) => [f, typeof query[f] === 'string' ? (query[f] as string).trim() : ''])) as Record<
      (typeof FILTERS)[number],
      string
    >;
    const filters = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    try {
      const page = parsePageQuery({ limit: String(PAGE_SIZE), ...(typeof query.cursor === 'string' ? { cursor: query.cursor } : {}) });
      const entries = await accessLogPageFor(this.log, user, filters, page);
      const readers = new Map((await this.users.getMany([...new Set(entries.items.map((e) => e.userId))])).map((u) => [u.id, u.name]));
      const rows = entries.items.map((e) => ({
        at: e.at.toISOString(),
        who: readers.get(e.userId) ?? e.userId,
        role: roleName(e.role),
        what: e.what === 'case' ? `Case ${e.id}` : `${e.what === 'timeline' ? 'History of request' : 'Request'} ${e.id.slice(0, 8)}`,
        caseRef: e.caseRef ?? 'Triage',
        how: `${CONTEXT_WORDS[e.context] ?? e.context}${e.via === 'page' ? ' (web page)' : ' (API)'}`,
      }));
      const older = entries.next ? `/access-log?${new URLSearchParams({ ...filters, cursor: encodeCursor(entries.next) }).toString()}` : null;
      return this.render.page(request, reply, 'access-log/show.njk', { values, rows, older, errors: null }, user);
    } catch (error) {
      if (!(error instanceof ProblemException) || error.problem.status !== 400) throw error;
      const errors = (error.problem.errors ?? []).map((e) => ({ field: e.field, text: `Check ${e.field}: ${e.message}` }));
      return this.render.page(request, reply, 'access-log/show.njk', { values, rows: [], older: null, errors: fieldErrors(errors) }, user, 400);
    }
  }
}
