import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SlaDashboardService, UsersRepository, type SlaDashboard } from '@send/read-models';
import { Public } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { slaDashboardFor } from '../dashboard/dashboard-query';
import { fieldErrors } from './public-pages.controller';
import {
  attemptsTable,
  CHANNEL_NAMES,
  chartData,
  CSV_TABLES,
  dashboardTable,
  filtersQueryString,
  mapDashboardFilters,
  summaryTable,
  tableCsv,
  teamName,
  teamsTable,
  weeklyTable,
  type CsvTableName,
  type DashboardFilters,
} from './dashboard-page';
import { PageErrorsFilter, renderErrorPage } from './page-errors.filter';
import { PageRender } from './page-render';
import { WebSession } from './web-session';
import { CATEGORY_CHOICES, roleName } from './web-words';

/** JSON inside <script type="application/json">: `<` escaped, so no text in it can close the element. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** GET /api/dashboard/sla's roles. */
const DASHBOARD_ROLES: readonly string[] = [...MANAGER_ROLES, 'admin'];
const REQUESTER_ROLE_CHOICES = ['parent', 'school', 'professional', 'mp', 'other'];

/**
 * The SLA dashboard page and its CSV downloads. Thin: the filter form maps onto GET
 * /api/dashboard/sla's query and goes through the same slaDashboardFor (team managers get their
 * team's, and only theirs). Public to the bearer guard: the session cookie is checked here.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('dashboard')
export class DashboardPagesController {
  constructor(
    private readonly dashboard: SlaDashboardService,
    private readonly users: UsersRepository,
    private readonly render: PageRender,
    private readonly session: WebSession,
  ) {}

  @Get()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => DASHBOARD_ROLES.includes(u.role));
    const mapped = mapDashboardFilters(request.query as Record<string, unknown>);
    const choices = await this.choices(user, mapped.values);
    if (mapped.errors.length) {
      return this.render.page(
        request,
        reply,
        'dashboard/show.njk',
        { values: mapped.values, choices, errors: fieldErrors(mapped.errors), d: null },
        user,
        400,
      );
    }
    const d = await this.figures(user, mapped.apiQuery);
    const weekly = weeklyTable(d);
    const teams = teamsTable(d);
    const attempts = attemptsTable(d);
    const query = filtersQueryString(mapped.values);
    return this.render.page(
      request,
      reply,
      'dashboard/show.njk',
      {
        values: mapped.values,
        choices,
        errors: null,
        d,
        selected: this.selectedFilters(mapped.values, choices),
        summary: summaryTable(d),
        tables: [
          { table: weekly, chartJson: jsonForScript(chartData(weekly, 'line', [1, 3])), csv: `/dashboard/weekly.csv${query}` },
          { table: teams, chartJson: jsonForScript(chartData(teams, 'bar', [3, 4, 5])), csv: `/dashboard/teams.csv${query}` },
          { table: attempts, chartJson: jsonForScript(chartData(attempts, 'bar', [3, 4, 5])), csv: `/dashboard/attempts.csv${query}` },
        ],
      },
      user,
    );
  }

  /** One of the page's tables as CSV, for the same filters. */
  @Get(':file')
  async csv(@Param('file') file: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => DASHBOARD_ROLES.includes(u.role));
    const name = /^(\w+)\.csv$/.exec(file)?.[1];
    if (!name || !(CSV_TABLES as readonly string[]).includes(name)) return renderErrorPage(request, reply, 404);
    const mapped = mapDashboardFilters(request.query as Record<string, unknown>);
    if (mapped.errors.length) return reply.redirect(`/dashboard${filtersQueryString(mapped.values)}`, 303);
    const d = await this.figures(user, mapped.apiQuery);
    const day = d.asOf.slice(0, 10);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="sla-${name}-${day}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(tableCsv(dashboardTable(d, name as CsvTableName)));
  }

  /** The API's dashboard for the API's query; a team manager asking for another team gets the 403 page, as the API answers 403. */
  private figures(user: AuthUser, apiQuery: Record<string, string>): Promise<SlaDashboard> {
    return slaDashboardFor(this.dashboard, user, apiQuery);
  }

  /** The filter form's choices: teams and officers from the users directory (a team manager: their team's officers only). */
  private async choices(user: AuthUser, values: DashboardFilters) {
    const officers =
      user.role === 'team_manager' && user.teamId ? await this.users.byTeam(user.teamId) : await this.users.byRole('officer');
    const staff = [...(await this.users.byRole('officer')), ...(await this.users.byRole('team_manager'))];
    const teamIds = [...new Set(staff.flatMap((u) => (u.teamId ? [u.teamId] : [])))].sort();
    const item = (value: string, text: string, current: string) => ({ value, text, selected: value === current });
    return {
      teamFixed: user.role === 'team_manager' ? (user.teamId ? teamName(user.teamId) : null) : null,
      teams: [{ value: '', text: 'All teams' }, ...teamIds.map((t) => item(t, teamName(t), values.teamId))],
      officers: officers
        .filter((o) => o.role === 'officer')
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((o) => item(o.id, o.name, values.officerId)),
      categories: CATEGORY_CHOICES.map((c) => item(c.value, c.text, values.category)),
      requesterRoles: REQUESTER_ROLE_CHOICES.map((r) => item(r, roleName(r), values.requesterRole)),
      channels: Object.entries(CHANNEL_NAMES).map(([value, text]) => item(value, text, values.channel)),
    };
  }

  /** MoJ filter's "Selected filters": each applied filter, as a link that removes it. */
  private selectedFilters(values: DashboardFilters, choices: Awaited<ReturnType<DashboardPagesController['choices']>>) {
    const textOf = (list: Array<{ value: string; text: string }>, value: string) => list.find((i) => i.value === value)?.text ?? value;
    const labels: Array<[keyof DashboardFilters, string, string]> = [
      ['teamId', 'Team', textOf(choices.teams, values.teamId)],
      ['officerId', 'Officer', textOf(choices.officers, values.officerId)],
      ['category', 'About', textOf(choices.categories, values.category)],
      ['requesterRole', 'From', textOf(choices.requesterRoles, values.requesterRole)],
      ['channel', 'Came in', textOf(choices.channels, values.channel)],
      ['from', 'Sent from', values.from],
      ['to', 'Sent before', values.to],
      ['asOf', 'As of', values.asOf],
    ];
    return labels
      .filter(([field]) => values[field])
      .map(([field, heading, text]) => ({
        heading: { text: heading },
        items: [{ href: `/dashboard${filtersQueryString(values, field)}`, text }],
      }));
  }
}
