import type { SlaDashboard, SlaFigures } from '@send/read-models';
import { alertLevel, alertReason } from './alert-words';
import {
  chartData,
  filtersQueryString,
  isoDateOf,
  mapDashboardFilters,
  summaryTable,
  tableCsv,
  teamsTable,
  weeklyTable,
  type DataTable,
} from './dashboard-page';
import { isPagePath } from './page-paths';

/** Figures of a slice with only what a test sets differing from zero. */
function figures(
  over: {
    total?: number;
    breached?: number;
    withinSlaPercent?: number | null;
    attempts?: number;
    p90?: number;
    breaches?: Partial<SlaFigures['breaches']>;
  } = {},
): SlaFigures {
  const percentiles = { measured: 0, censored: 0, p50Hours: null, p90Hours: null, p50LowerBound: false, p90LowerBound: false };
  return {
    total: over.total ?? 0,
    open: 0,
    overdue: 0,
    breached: over.breached ?? 0,
    breaches: { total: 0, firstResponse: 0, resolution: 0, update: 0, ...over.breaches },
    resolvedWithoutReply: { withdrawn: 0, duplicate: 0, answeredOutside: 0 },
    firstResponse: {
      total: 0,
      withinSla: 0,
      answeredLate: 0,
      unanswered: 0,
      withinSlaPercent: over.withinSlaPercent ?? null,
      notYetDue: 0,
      closedBeforeDue: 0,
      ...percentiles,
    },
    unanswered: { requestsWithUnanswered: 0, attempts: 0 },
    attemptsPerRequest: { total: over.attempts ?? 0, max: 0, p90: over.p90 ?? 0, tenOrMore: 0 },
    escalations: { open: 0, total: 0, byLevel: {}, reachedLevel: {}, acknowledgeByLevel: {} },
  } as SlaFigures;
}

function dashboard(over: Partial<SlaDashboard> = {}): SlaDashboard {
  return {
    ...figures({ total: 5 }),
    asOf: '2026-12-01T12:00:00.000Z',
    from: null,
    to: null,
    teamId: null,
    byOfficer: [],
    byTeam: [],
    byCategory: [],
    byRequesterRole: [],
    byChannel: [],
    byWeek: [],
    responseByRequester: { mp: figures().firstResponse, parent: figures().firstResponse, school: figures().firstResponse },
    ...over,
  } as SlaDashboard;
}

describe('the dashboard filter form mapped onto GET /api/dashboard/sla', () => {
  it('passes every filter as the API query (UK dates as YYYY-MM-DD), and nothing else', () => {
    const mapped = mapDashboardFilters({
      teamId: 'north',
      from: '2/11/2026',
      to: '2026-12-01',
      asOf: '',
      officerId: 'u-1',
      channel: 'mp',
      other: 'x',
    });
    expect(mapped.errors).toEqual([]);
    expect(mapped.apiQuery).toEqual({ teamId: 'north', officerId: 'u-1', channel: 'mp', from: '2026-11-02', to: '2026-12-01' });
  });

  it('says which date is not a real one, and an empty period', () => {
    expect(mapDashboardFilters({ from: '31/02/2026' }).errors).toEqual([
      { field: 'from', text: 'Sent from must be a real date, like 30/11/2026' },
    ]);
    expect(mapDashboardFilters({ asOf: 'yesterday' }).errors[0].field).toBe('asOf');
    expect(mapDashboardFilters({ from: '2026-12-01', to: '1/12/2026' }).errors).toEqual([
      { field: 'to', text: 'Sent before must be after sent from' },
    ]);
    expect(isoDateOf('2026-2-3')).toBe('2026-02-03');
    expect(isoDateOf('29/02/2027')).toBeNull();
  });

  it('writes the filters back as a query string, leaving one out for its "remove" link', () => {
    const values = { teamId: 'north', from: '2026-11-02', category: 'transport' };
    expect(filtersQueryString(values)).toBe('?teamId=north&category=transport&from=2026-11-02');
    expect(filtersQueryString(values, 'teamId')).toBe('?category=transport&from=2026-11-02');
    expect(filtersQueryString({})).toBe('');
  });
});

describe('the dashboard tables', () => {
  it('orders the weekly trend by week and charts its numeric columns', () => {
    const d = dashboard({
      byWeek: [
        { week: '2026-11-16', ...figures({ total: 3, breached: 1, withinSlaPercent: 66.7 }) },
        { week: '2026-11-09', ...figures({ total: 2, withinSlaPercent: null }) },
      ],
    });
    const table = weeklyTable(d);
    expect(table.rows).toEqual([
      ['2026-11-09', 2, '', 0, 0],
      ['2026-11-16', 3, 66.7, 1, 0],
    ]);
    expect(chartData(table, 'line', [1, 2])).toEqual({
      type: 'line',
      labels: ['2026-11-09', '2026-11-16'],
      series: [
        { label: 'Sent', data: [2, 3] },
        { label: 'Replied within SLA (%)', data: [null, 66.7] },
      ],
    });
  });

  it('names teams, triage included, with their breaches by clock', () => {
    const d = dashboard({
      byTeam: [
        { teamId: 'unrouted', ...figures({ total: 1 }) },
        { teamId: 'north', ...figures({ total: 4, breached: 2, breaches: { firstResponse: 2, update: 1 } }) },
      ],
    });
    expect(teamsTable(d).rows).toEqual([
      ['North', 4, 2, 2, 1, 0],
      ['No team (triage)', 1, 0, 0, 0, 0],
    ]);
  });

  it('sums up the filtered requests in one column, named by the team', () => {
    const table = summaryTable(dashboard({ teamId: 'north' }));
    expect(table.head).toEqual(['Figure', 'Team North']);
    expect(table.rows[0]).toEqual(['Sent', 5]);
    expect(summaryTable(dashboard({ teamId: null })).head).toEqual(['Figure', 'All teams']);
  });

  it('writes a table as CSV: quoted where needed, and no cell a spreadsheet would run as a formula', () => {
    const table: DataTable = {
      name: 'teams',
      caption: 'T',
      head: ['Team', 'Requests'],
      rows: [
        ['North, east', 3],
        ['=HYPERLINK("x")', -1],
        ['Say "hi"', 0],
      ],
    };
    expect(tableCsv(table)).toBe('Team,Requests\r\n"North, east",3\r\n"\'=HYPERLINK(""x"")",-1\r\n"Say ""hi""",0\r\n');
  });
});

describe('alert words and page paths', () => {
  it('says why an alert was raised and which level of the chain it stands at', () => {
    expect(alertReason('repeated_unanswered', 3)).toBe('Tried 3 times with no reply');
    expect(alertReason('sla_breached', 0)).toBe('Reply deadline missed');
    expect(alertReason('update_missed', 0)).toBe('Promised update missed');
    const policy = { escalation: { chain: [{ role: 'team_manager' }, { role: 'service_manager' }] } } as never;
    expect(alertLevel(2, policy)).toBe('Level 2: SEND service manager');
    expect(alertLevel(5, policy)).toBe('Level 5');
  });

  it('treats /admin/cases as a page (CSRF, HTML errors) and the rest of /admin as the API', () => {
    for (const path of ['/admin/cases', '/admin/cases?x=1']) expect(isPagePath(path)).toBe(true);
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin', '/admin/casesx']) expect(isPagePath(path)).toBe(false);
  });
});
