/**
 * The /dashboard page's pure parts: its filter form mapped onto GET /api/dashboard/sla's query, the
 * tables it shows (each chart's data), and each table as CSV. No IO, so the page, the CSV download
 * and their tests read the same thing.
 */
import type { SlaDashboard, SlaFigures } from '@send/read-models';

/** The form's fields, as typed (GET query params). */
export interface DashboardFilters {
  teamId: string;
  officerId: string;
  category: string;
  requesterRole: string;
  channel: string;
  from: string;
  to: string;
  asOf: string;
}
const FIELDS = ['teamId', 'officerId', 'category', 'requesterRole', 'channel', 'from', 'to', 'asOf'] as const;

export interface MappedFilters {
  values: DashboardFilters;
  /** GET /api/dashboard/sla's query: every filter, dates as YYYY-MM-DD. */
  apiQuery: Partial<DashboardFilters>;
  errors: Array<{ field: string; text: string }>;
}

const DATE_LABELS: Record<'from' | 'to' | 'asOf', string> = { from: 'Sent from', to: 'Sent before', asOf: 'Figures as of' };

/** "2026-11-30" or "30/11/2026" (the MoJ date picker's format) as YYYY-MM-DD; null when it is not a real date. */
export function isoDateOf(text: string): string | null {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : uk ? [uk[3], uk[2], uk[1]] : [];
  if (!y || !m || !d) return null;
  const out = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const parsed = new Date(`${out}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(out) ? out : null;
}

/** The form's GET query as the API's query; a date that is not one is an error for its field. */
export function mapDashboardFilters(query: Record<string, unknown>): MappedFilters {
  const values = Object.fromEntries(
    FIELDS.map((f) => [f, typeof query[f] === 'string' ? (query[f] as string).trim() : '']),
  ) as unknown as DashboardFilters;
  const apiQuery: MappedFilters['apiQuery'] = {};
  const errors: MappedFilters['errors'] = [];
  for (const field of ['teamId', 'officerId', 'category', 'requesterRole', 'channel'] as const) if (values[field]) apiQuery[field] = values[field];
  for (const field of ['from', 'to', 'asOf'] as const) {
    if (!values[field]) continue;
    const iso = isoDateOf(values[field]);
    if (iso) apiQuery[field] = iso;
    else errors.push({ field, text: `${DATE_LABELS[field]} must be a real date, like 30/11/2026` });
  }
  if (apiQuery.from && apiQuery.to && apiQuery.to <= apiQuery.from)
    errors.push({ field: 'to', text: 'Sent before must be after sent from' });
  return { values, apiQuery, errors };
}

/** The same filters as a query string, for the CSV links and the filter tags' "remove" links. */
export function filtersQueryString(values: Partial<DashboardFilters>, without?: keyof DashboardFilters): string {
  const params = new URLSearchParams();
  for (const f of FIELDS) if (f !== without && values[f]) params.set(f, values[f]!);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const CHANNEL_NAMES: Record<string, string> = {
  portal: 'Online',
  phone: 'Phone',
  email: 'Email',
  letter: 'Letter',
  in_person: 'In person',
  mp: 'Through an MP',
};
export const channelName = (code: string) => CHANNEL_NAMES[code] ?? code;
export const teamName = (teamId: string) => (teamId === 'unrouted' ? 'No team (triage)' : teamId.charAt(0).toUpperCase() + teamId.slice(1));

/** A table as the page, the chart script and the CSV all read it: header cells and rows of plain values. */
export interface DataTable {
  name: 'weekly' | 'teams' | 'attempts' | 'summary';
  caption: string;
  head: string[];
  rows: Array<Array<string | number>>;
}

const pct = (n: number | null) => (n === null ? '' : n);
const hours = (n: number | null, lowerBound: boolean) => (n === null ? '' : lowerBound ? `at least ${n}` : n);

/** Each headline figure: its name, its value in a slice, and what a slice with no requests shows. */
const SUMMARY_FIGURES: Array<[string, (f: SlaFigures) => string | number]> = [
  ['Sent', (f) => f.total],
  ['Open', (f) => f.open],
  ['Overdue', (f) => f.overdue],
  ['Replied within SLA (%)', (f) => pct(f.firstResponse.withinSlaPercent)],
  ['Median first reply (working hours)', (f) => hours(f.firstResponse.p50Hours, f.firstResponse.p50LowerBound)],
  ['Breached', (f) => f.breached],
  ['Open escalations', (f) => f.escalations.open],
];

/** The headline figures of the filtered requests (the column is named by the team, or all teams). */
export function summaryTable(d: SlaDashboard): DataTable {
  return {
    name: 'summary',
    caption: 'Summary',
    head: ['Figure', d.teamId ? `Team ${teamName(d.teamId)}` : 'All teams'],
    rows: SUMMARY_FIGURES.map(([figure, of]) => [figure, of(d)]),
  };
}

/** The weekly trend: each week's requests, how many were answered in time, and breaches. */
export function weeklyTable(d: SlaDashboard): DataTable {
  return {
    name: 'weekly',
    caption: 'Weekly trend',
    head: ['Week starting', 'Sent', 'Replied within SLA (%)', 'Breached', 'Open escalations'],
    rows: [...d.byWeek]
      .sort((a, b) => a.week.localeCompare(b.week))
      .map((w) => [w.week, w.total, pct(w.firstResponse.withinSlaPercent), w.breached, w.escalations.open]),
  };
}

/** Breaches by the team that owned the request when its clock ran out. */
export function teamsTable(d: SlaDashboard): DataTable {
  return {
    name: 'teams',
    caption: 'Breaches by team',
    head: ['Team', 'Requests', 'Breached requests', 'First reply breaches', 'Update breaches', 'Resolution breaches'],
    rows: [...d.byTeam]
      .sort((a, b) => a.teamId.localeCompare(b.teamId))
      .map((t) => [teamName(t.teamId), t.total, t.breached, t.breaches.firstResponse, t.breaches.update, t.breaches.resolution]),
  };
}

/** How many times families had to try, by team: the inspection's "forty or fifty times". */
export function attemptsTable(d: SlaDashboard): DataTable {
  return {
    name: 'attempts',
    caption: 'Attempts per request',
    head: ['Team', 'Requests', 'Attempts', '90th percentile per request', 'Most on one request', 'Requests with 10 or more'],
    rows: [...d.byTeam]
      .sort((a, b) => a.teamId.localeCompare(b.teamId))
      .map((t) => [
        teamName(t.teamId),
        t.total,
        t.attemptsPerRequest.total,
        t.attemptsPerRequest.p90,
        t.attemptsPerRequest.max,
        t.attemptsPerRequest.tenOrMore,
      ]),
  };
}

export const CSV_TABLES = ['weekly', 'teams', 'attempts'] as const;
export type CsvTableName = (typeof CSV_TABLES)[number];

export function dashboardTable(d: SlaDashboard, name: CsvTableName): DataTable {
  return name === 'weekly' ? weeklyTable(d) : name === 'teams' ? teamsTable(d) : attemptsTable(d);
}

/** A chart's data for the script: one line or bar series per numeric column after the first. */
export function chartData(table: DataTable, type: 'line' | 'bar', columns: number[]) {
  return {
    type,
    labels: table.rows.map((r) => String(r[0])),
    series: columns.map((c) => ({ label: table.head[c], data: table.rows.map((r) => (typeof r[c] === 'number' ? r[c] : null)) })),
  };
}

/**
 * RFC 4180 CSV with a header line. Cells starting with =, +, - or @ are prefixed with ' so a
 * spreadsheet never runs them as formulas (a team or officer name is not trusted text).
 */
export function tableCsv(table: DataTable): string {
  const cell = (v: string | number) => {
    let text = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [table.head, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
