import { DateTime } from 'luxon';
import { calendarOf, workingTimeBetween, type Policy } from '@send/sla';
import type { DashboardRow } from './dashboard-row';

export interface SlaDashboardQuery {
  /** Requests submitted at or after `from` (inclusive). */
  from?: Date | string | null;
  /** Requests submitted before `to` (exclusive). */
  to?: Date | string | null;
  /** Only requests currently routed to this team. */
  teamId?: string | null;
}

export interface SlaDashboardOptions extends SlaDashboardQuery {
  /** The instant the figures are for: open/overdue/unanswered are as at `now`. */
  now: Date;
  policy: Policy;
}

/** The figures of one slice of requests (the whole scope, one officer, one week...). */
export interface SlaFigures {
  /** Requests in the slice. */
  total: number;
  /** Not resolved. */
  open: number;
  /** Open with a running deadline passed: first response (not yet responded) or resolution. */
  overdue: number;
  /** With at least one recorded SlaBreached. */
  breached: number;
  firstResponse: {
    /** Requests whose first response is done or due: responded, or unanswered past the due time. */
    total: number;
    /** Responded at or before the first-response due time of their first period. */
    withinSla: number;
    /** Working hours from submission to first response (nearest-rank percentiles); null with no responses. */
    p50Hours: number | null;
    p90Hours: number | null;
  };
  /** Inbound attempts with no officer response after them, on open requests. */
  unanswered: { requestsWithUnanswered: number; attempts: number };
  /** `open`: escalations not resolved; `byLevel`: escalations by the highest level reached ("1", "2", ...). */
  escalations: { open: number; total: number; byLevel: Record<string, number> };
}

export interface SlaDashboard extends SlaFigures {
  asOf: string;
  from: string | null;
  to: string | null;
  teamId: string | null;
  byOfficer: Array<{ officerId: string; name: string | null } & SlaFigures>;
  byTeam: Array<{ teamId: string } & SlaFigures>;
  byCategory: Array<{ category: string } & SlaFigures>;
  byRequesterRole: Array<{ requesterRole: string } & SlaFigures>;
  /** `week`: the Monday (YYYY-MM-DD, in the policy's timezone) of the week the requests were submitted in. */
  byWeek: Array<{ week: string } & SlaFigures>;
}

const HOUR_MS = 3_600_000;
const toIso = (d: Date | string | null | undefined): string | null => (d == null || d === '' ? null : new Date(d).toISOString());

/**
 * The SLA dashboard (GET /api/dashboard/sla) from the requests' dashboard rows. Pure: the live
 * dashboard passes the rows in Redis and the clock's now; "as of" a past date passes rows of records
 * replayed up to that date and now = that date, so both are the same computation.
 */
export function computeSlaDashboard(rows: readonly DashboardRow[], options: SlaDashboardOptions): SlaDashboard {
  const from = toIso(options.from);
  const to = toIso(options.to);
  const now = options.now.getTime();
  const fromMs = from ? Date.parse(from) : -Infinity;
  const toMs = to ? Date.parse(to) : Infinity;
  const inScope = rows.filter((r) => {
    const submitted = Date.parse(r.submittedAt);
    return submitted >= fromMs && submitted < toMs && submitted <= now && (!options.teamId || r.teamId === options.teamId);
  });
  const figures = (slice: readonly DashboardRow[]) => figuresOf(slice, now, options.policy);
  const timezone = options.policy.calendar.timezone;

  const officerNames = new Map<string, string | null>();
  for (const r of inScope) if (r.assignee) officerNames.set(r.assignee.id, r.assignee.name ?? officerNames.get(r.assignee.id) ?? null);

  return {
    asOf: options.now.toISOString(),
    from,
    to,
    teamId: options.teamId ?? null,
    ...figures(inScope),
    byOfficer: groupBy(inScope, (r) => r.assignee?.id ?? null).map(([officerId, slice]) => ({
      officerId,
      name: officerNames.get(officerId) ?? null,
      ...figures(slice),
    })),
    byTeam: groupBy(inScope, (r) => r.teamId ?? 'unrouted').map(([teamId, slice]) => ({ teamId, ...figures(slice) })),
    byCategory: groupBy(inScope, (r) => r.category).map(([category, slice]) => ({ category, ...figures(slice) })),
    byRequesterRole: groupBy(inScope, (r) => r.requesterRole).map(([requesterRole, slice]) => ({ requesterRole, ...figures(slice) })),
    byWeek: groupBy(inScope, (r) => weekOf(r.submittedAt, timezone)).map(([week, slice]) => ({ week, ...figures(slice) })),
  };
}

function figuresOf(rows: readonly DashboardRow[], now: number, policy: Policy): SlaFigures {
  const calendar = calendarOf(policy);
  const out: SlaFigures = {
    total: rows.length,
    open: 0,
    overdue: 0,
    breached: 0,
    firstResponse: { total: 0, withinSla: 0, p50Hours: null, p90Hours: null },
    unanswered: { requestsWithUnanswered: 0, attempts: 0 },
    escalations: { open: 0, total: 0, byLevel: {} },
  };
  const hours: number[] = [];
  for (const r of rows) {
    if (!r.resolved) {
      out.open += 1;
      const firstResponseLate = r.firstRespondedAt === null && now > Date.parse(r.due.firstResponseAt);
      if (firstResponseLate || now > Date.parse(r.due.resolutionAt)) out.overdue += 1;
      if (r.unansweredAttempts > 0) {
        out.unanswered.requestsWithUnanswered += 1;
        out.unanswered.attempts += r.unansweredAttempts;
      }
    }
    if (r.breached) out.breached += 1;

    const dueAt = Date.parse(r.firstResponseDueAt);
    if (r.firstResponseAt !== null) {
      out.firstResponse.total += 1;
      if (Date.parse(r.firstResponseAt) <= dueAt) out.firstResponse.withinSla += 1;
      hours.push(workingTimeBetween(calendar, new Date(r.submittedAt), new Date(r.firstResponseAt)) / HOUR_MS);
    } else if (now > dueAt) {
      out.firstResponse.total += 1; // due and not done: counts against the SLA
    }

    for (const e of r.escalations) {
      out.escalations.total += 1;
      if (e.open) out.escalations.open += 1;
      out.escalations.byLevel[String(e.level)] = (out.escalations.byLevel[String(e.level)] ?? 0) + 1;
    }
  }
  hours.sort((a, b) => a - b);
  out.firstResponse.p50Hours = percentile(hours, 50);
  out.firstResponse.p90Hours = percentile(hours, 90);
  return out;
}

/** Nearest-rank percentile of ascending values, rounded to 0.01 h; null for no values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return Math.round(sorted[rank - 1]! * 100) / 100;
}

function weekOf(iso: string, timezone: string): string {
  return DateTime.fromISO(iso, { zone: timezone }).startOf('week').toISODate()!;
}

/** Groups by key (null keys dropped), sorted by key. */
function groupBy(rows: readonly DashboardRow[], keyOf: (r: DashboardRow) => string | null): Array<[string, DashboardRow[]]> {
  const groups = new Map<string, DashboardRow[]>();
  for (const r of rows) {
    const key = keyOf(r);
    if (key === null) continue;
    const slice = groups.get(key);
    if (slice) slice.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
