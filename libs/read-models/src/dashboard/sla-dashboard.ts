import { DateTime } from 'luxon';
import { calendarOf, workingTimeBetween, type Policy, type WorkingCalendar } from '@send/sla';
import type { DashboardRow } from './dashboard-row';

export interface SlaDashboardQuery {
  /** Requests submitted at or after `from` (inclusive). */
  from?: Date | string | null;
  /** Requests submitted before `to` (exclusive). */
  to?: Date | string | null;
  /** Only requests currently routed to this team (breaches: those the team owned when the clock ran out). */
  teamId?: string | null;
  /** Only requests assigned to this officer now (breaches: those the officer owned when the clock ran out). */
  officerId?: string | null;
  /** Only requests of this category, from this kind of requester, that came in this way. */
  category?: string | null;
  requesterRole?: string | null;
  channel?: string | null;
}

/** The query's filters as one key (the live cache keeps one answer per distinct query). */
export const dashboardQueryKey = (q: SlaDashboardQuery): string =>
  JSON.stringify([toIso(q.from), toIso(q.to), q.teamId ?? null, q.officerId ?? null, q.category ?? null, q.requesterRole ?? null, q.channel ?? null]);

export interface SlaDashboardOptions extends SlaDashboardQuery {
  /** The instant the figures are for: open/overdue/unanswered/waiting are as at `now`. */
  now: Date;
  policy: Policy;
}

/**
 * Nearest-rank percentiles of working hours over finished and unfinished waits. An unfinished wait
 * (still waiting, or closed with no answer) counts at the hours waited so far and is "censored": the
 * real figure is at least that. A percentile is a lower bound when fewer than its rank of finished
 * waits lie at or below it; otherwise it is exact whatever the unfinished waits turn out to be.
 */
export interface CensoredPercentiles {
  /** Waits counted: finished + censored. */
  measured: number;
  /** Unfinished waits among them, counted at their age. */
  censored: number;
  /** Null with nothing measured. */
  p50Hours: number | null;
  p90Hours: number | null;
  /** True when the percentile could still rise as the censored waits end: read it as "at least". */
  p50LowerBound: boolean;
  p90LowerBound: boolean;
}

export interface FirstResponseFigures extends CensoredPercentiles {
  /**
   * The denominator: requests whose first-response due time (set at submission) has passed by `now`,
   * answered or not. Requests not yet due are left out, whether answered or not.
   */
  total: number;
  /** Of `total`: first response at or before the due time. */
  withinSla: number;
  /** Of `total`: first response after the due time. */
  answeredLate: number;
  /** Of `total`: no response by `now` (still waiting, or resolved without one). */
  unanswered: number;
  /** withinSla / total as a percentage (one decimal); null when total is 0. */
  withinSlaPercent: number | null;
  /** Requests whose due time is still to come (not in `total`). */
  notYetDue: number;
  /** Requests resolved without a reply before their due time came (withdrawn...): not in `total`. */
  closedBeforeDue: number;
}

/** The figures of one slice of requests (the whole scope, one officer, one week...). */
export interface SlaFigures {
  /** Requests in the slice. */
  total: number;
  /** Not resolved. */
  open: number;
  /** Open with a running deadline passed: first response (not yet responded) or resolution. */
  overdue: number;
  /** Requests with at least one recorded SlaBreached (by officer and team: one attributed to them). */
  breached: number;
  /** Recorded breaches, by clock (by officer and team: those attributed to them). */
  breaches: { total: number; firstResponse: number; resolution: number; update: number };
  /** Requests resolved now with no reply recorded, by the reason given. */
  resolvedWithoutReply: { withdrawn: number; duplicate: number; answeredOutside: number };
  /** Receipt to first reply ever, in working hours; waits with no reply count censored at their age; duplicates left out. */
  firstResponse: FirstResponseFigures;
  /** Inbound attempts with no officer response after them, on open requests. */
  unanswered: { requestsWithUnanswered: number; attempts: number };
  /** Inbound contact attempts recorded per request (every period, answered or not; the submission itself is not one). */
  attemptsPerRequest: { total: number; max: number; p90: number; tenOrMore: number };
  escalations: {
    /** Escalations not resolved. */
    open: number;
    total: number;
    /** Escalations by the level they stand at now, the highest they reached ("1", "2", ...). */
    byLevel: Record<string, number>;
    /** Escalations that were at each level at some time ("1", "2", ...). */
    reachedLevel: Record<string, number>;
    /** Working hours from reaching a level to acknowledgement at it; unacknowledged levels censored at their time there. */
    acknowledgeByLevel: Record<string, CensoredPercentiles & { acknowledged: number }>;
  };
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
  byChannel: Array<{ channel: string } & SlaFigures>;
  /** `week`: the Monday (YYYY-MM-DD, in the policy's timezone) of the week the requests were submitted in. */
  byWeek: Array<{ week: string } & SlaFigures>;
  /** First response of MP enquiries (channel or requester `mp`) beside parents' and schools' (not via an MP). */
  responseByRequester: { mp: FirstResponseFigures; parent: FirstResponseFigures; school: FirstResponseFigures };
}

const HOUR_MS = 3_600_000;
const ATTEMPTS_MANY = 10;
const toIso = (d: Date | string | null | undefined): string | null => (d == null || d === '' ? null : new Date(d).toISOString());

/** A row with what every slice needs worked out once (working hours are the costly part). */
interface Measured {
  row: DashboardRow;
  /** First response: hours to it, or waited so far (censored). */
  firstHours: number;
  firstCensored: boolean;
  /** A duplicate of another request: its wait is the other's. */
  firstExcluded: boolean;
  /** Due time passed by now while it was waiting or after it was answered (in the SLA denominator). */
  firstDue: boolean;
  /** Resolved with no reply before its due time. */
  closedBeforeDue: boolean;
  firstWithin: boolean;
  /** Open with a running deadline of the current period passed: first response (not yet responded) or resolution. */
  overdue: boolean;
  /** Per level reached: hours to acknowledgement, or at the level unacknowledged (censored). */
  acks: Array<{ level: number; hours: number; censored: boolean }>;
}

type BreachTally = { requests: number; total: number; firstResponse: number; resolution: number; update: number };
const noBreaches = (): BreachTally => ({ requests: 0, total: 0, firstResponse: 0, resolution: 0, update: 0 });

/**
 * The SLA dashboard (GET /api/dashboard/sla) from the requests' dashboard rows. Pure: the live
 * dashboard passes the rows in Redis and the clock's now; "as of" a past date passes rows of records
 * replayed up to that date and now = that date, so both are the same computation. docs/dashboard.md
 * writes out each definition.
 */
export function computeSlaDashboard(rows: readonly DashboardRow[], options: SlaDashboardOptions): SlaDashboard {
  const from = toIso(options.from);
  const to = toIso(options.to);
  const now = options.now.getTime();
  const fromMs = from ? Date.parse(from) : -Infinity;
  const toMs = to ? Date.parse(to) : Infinity;
  const calendar = calendarOf(options.policy);
  const inPeriod = rows.filter((r) => {
    const submitted = Date.parse(r.submittedAt);
    return submitted >= fromMs && submitted < toMs && submitted <= now;
  });
  // Category, requester and channel are the request's own: they pick rows, and the breaches on them.
  const ofKind = inPeriod.filter(
    (r) =>
      (!options.category || r.category === options.category) &&
      (!options.requesterRole || r.requesterRole === options.requesterRole) &&
      (!options.channel || r.channel === options.channel),
  );
  const scoped = ofKind.filter((r) => (!options.teamId || r.teamId === options.teamId) && (!options.officerId || r.assignee?.id === options.officerId));
  const between = workingHoursBetween(calendar, now, startsOfOpenWaits(scoped, now));
  const inScope = scoped.map((r) => measure(r, now, between));
  const weekOfRow = weeksOf(options.policy.calendar.timezone);

  const officerNames = new Map<string, string | null>();
  for (const { row: r } of inScope)
    if (r.assignee) officerNames.set(r.assignee.id, r.assignee.name ?? officerNames.get(r.assignee.id) ?? null);

  // A breach belongs to whoever owned the request when its clock ran out, whoever owns it now; in a
  // team's dashboard, the breaches that team owned, on whichever team's requests they are now.
  const byOfficerBreaches = new Map<string, BreachTally>();
  const byTeamBreaches = new Map<string, BreachTally>();
  for (const r of ofKind) {
    const officers = new Set<string>();
    const teams = new Set<string>();
    for (const b of r.breaches) {
      if (options.teamId && b.teamId !== options.teamId) continue;
      if (options.officerId && b.officerId !== options.officerId) continue;
      const team = b.teamId ?? UNROUTED;
      tally(byTeamBreaches, team, b.clock, !teams.has(team));
      teams.add(team);
      if (b.officerId) {
        tally(byOfficerBreaches, b.officerId, b.clock, !officers.has(b.officerId));
        officers.add(b.officerId);
      }
    }
  }

  const byOfficer = withAttributedBreaches(
    groupBy(inScope, (m) => m.row.assignee?.id ?? null),
    byOfficerBreaches,
  ).map(([officerId, figures]) => ({ officerId, name: officerNames.get(officerId) ?? null, ...figures }));
  const byTeam = withAttributedBreaches(
    groupBy(inScope, (m) => m.row.teamId ?? UNROUTED),
    byTeamBreaches,
  ).map(([teamId, figures]) => ({ teamId, ...figures }));

  const isMp = (r: DashboardRow) => r.channel === 'mp' || r.requesterRole === 'mp';
  return {
    asOf: options.now.toISOString(),
    from,
    to,
    teamId: options.teamId ?? null,
    ...figuresOf(inScope),
    byOfficer,
    byTeam,
    byCategory: groupBy(inScope, (m) => m.row.category).map(([category, slice]) => ({ category, ...figuresOf(slice) })),
    byRequesterRole: groupBy(inScope, (m) => m.row.requesterRole).map(([requesterRole, slice]) => ({ requesterRole, ...figuresOf(slice) })),
    byChannel: groupBy(inScope, (m) => m.row.channel).map(([channel, slice]) => ({ channel, ...figuresOf(slice) })),
    byWeek: groupBy(inScope, (m) => weekOfRow(m.row.submittedAt)).map(([week, slice]) => ({ week, ...figuresOf(slice) })),
    responseByRequester: {
      mp: firstResponseOf(inScope.filter((m) => isMp(m.row))),
      parent: firstResponseOf(inScope.filter((m) => !isMp(m.row) && m.row.requesterRole === 'parent')),
      school: firstResponseOf(inScope.filter((m) => !isMp(m.row) && m.row.requesterRole === 'school')),
    },
  };
}

const UNROUTED = 'unrouted';

function tally(map: Map<string, BreachTally>, key: string, clock: string, newRequest: boolean): void {
  const t = map.get(key) ?? noBreaches();
  countBreach(t, clock);
  if (newRequest) t.requests += 1;
  map.set(key, t);
}

/** The slices' figures with breached/breaches replaced by the attributed ones; owners of breaches only get an empty slice. */
function withAttributedBreaches(groups: Array<[string, Measured[]]>, attributed: Map<string, BreachTally>): Array<[string, SlaFigures]> {
  const slices = new Map(groups);
  for (const key of attributed.keys()) if (!slices.has(key)) slices.set(key, []);
  return [...slices.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, slice]) => {
      const { requests, ...breaches } = attributed.get(key) ?? noBreaches();
      return [key, { ...figuresOf(slice), breached: requests, breaches }];
    });
}

/** Where waits still running at `now` began: submissions not answered, escalation levels not acknowledged. */
function startsOfOpenWaits(rows: readonly DashboardRow[], now: number): number[] {
  const starts: number[] = [];
  for (const r of rows) {
    if (r.firstResponseAt === null && !r.resolved) starts.push(Date.parse(r.receivedAt ?? r.submittedAt));
    for (const e of r.escalations) {
      const last = e.levels[e.levels.length - 1];
      if (e.open && last && last.acknowledgedAt === null) starts.push(Date.parse(last.reachedAt));
    }
  }
  return starts.filter((t) => t <= now);
}

/**
 * Working hours in [a, b]. Waits still running at `now` go back months (years, as of a far date),
 * and the calendar walks day by day: their spans to `now` are summed once, from the latest start
 * back, over consecutive starts (working time is additive), so each day is walked once per call.
 */
function workingHoursBetween(calendar: WorkingCalendar, now: number, openStarts: number[]): (a: number, b: number) => number {
  // Summed in whole milliseconds, so a span to now is exactly what one call would give.
  const direct = (a: number, b: number) => (b <= a ? 0 : workingTimeBetween(calendar, new Date(a), new Date(b)));
  const toNow = new Map<number, number>();
  let later = now;
  let sum = 0;
  for (const t of [...new Set(openStarts)].sort((x, y) => y - x)) {
    sum += direct(t, later);
    toNow.set(t, sum);
    later = t;
  }
  return (a, b) => (b === now ? (toNow.get(a) ?? direct(a, b)) : direct(a, b)) / HOUR_MS;
}

function countBreach(t: { total: number; firstResponse: number; resolution: number; update: number }, clock: string): void {
  t.total += 1;
  if (clock === 'first_response') t.firstResponse += 1;
  else if (clock === 'resolution') t.resolution += 1;
  else if (clock === 'update') t.update += 1;
}

function measure(row: DashboardRow, now: number, between: (a: number, b: number) => number): Measured {
  const received = Date.parse(row.receivedAt ?? row.submittedAt);
  const hoursTo = (end: number) => between(received, end);
  const dueAt = Date.parse(row.firstResponseDueAt);
  const answered = row.firstResponseAt !== null ? Date.parse(row.firstResponseAt) : null;
  // A wait with no answer ends at now, or at the resolution that closed it unanswered.
  const closedAt = answered === null && row.resolved && row.resolvedAt ? Math.min(Date.parse(row.resolvedAt), now) : null;
  const waitEnd = answered ?? closedAt ?? now;
  const acks: Measured['acks'] = [];
  for (const e of row.escalations) {
    const end = e.resolvedAt && !e.open ? Math.min(Date.parse(e.resolvedAt), now) : now;
    e.levels.forEach((l, i) => {
      const reached = Date.parse(l.reachedAt);
      const left = i + 1 < e.levels.length ? Date.parse(e.levels[i + 1]!.reachedAt) : end;
      const ackAt = l.acknowledgedAt ? Date.parse(l.acknowledgedAt) : null;
      const stop = ackAt ?? left;
      acks.push({
        level: l.level,
        hours: between(reached, stop),
        censored: ackAt === null,
      });
    });
  }
  return {
    row,
    firstHours: hoursTo(waitEnd),
    firstCensored: answered === null,
    firstExcluded: row.resolved && row.withoutReply === 'duplicate',
    firstDue: now > dueAt && (closedAt === null || closedAt > dueAt),
    closedBeforeDue: closedAt !== null && closedAt <= dueAt,
    firstWithin: answered !== null && answered <= dueAt,
    overdue:
      !row.resolved &&
      ((row.firstRespondedAt === null && now > Date.parse(row.due.firstResponseAt)) || now > Date.parse(row.due.resolutionAt)),
    acks,
  };
}

function figuresOf(slice: readonly Measured[]): SlaFigures {
  const out: SlaFigures = {
    total: slice.length,
    open: 0,
    overdue: 0,
    breached: 0,
    breaches: { total: 0, firstResponse: 0, resolution: 0, update: 0 },
    resolvedWithoutReply: { withdrawn: 0, duplicate: 0, answeredOutside: 0 },
    firstResponse: firstResponseOf(slice),
    unanswered: { requestsWithUnanswered: 0, attempts: 0 },
    attemptsPerRequest: { total: 0, max: 0, p90: 0, tenOrMore: 0 },
    escalations: { open: 0, total: 0, byLevel: {}, reachedLevel: {}, acknowledgeByLevel: {} },
  };
  const attempts: number[] = [];
  const acksByLevel = new Map<number, Array<{ value: number; censored: boolean }>>();
  for (const m of slice) {
    const r = m.row;
    if (!r.resolved) {
      out.open += 1;
      if (m.overdue) out.overdue += 1;
      if (r.unansweredAttempts > 0) {
        out.unanswered.requestsWithUnanswered += 1;
        out.unanswered.attempts += r.unansweredAttempts;
      }
    }
    if (r.breaches.length > 0) out.breached += 1;
    for (const b of r.breaches) countBreach(out.breaches, b.clock);
    if (r.resolved && r.withoutReply === 'withdrawn') out.resolvedWithoutReply.withdrawn += 1;
    else if (r.resolved && r.withoutReply === 'duplicate') out.resolvedWithoutReply.duplicate += 1;
    else if (r.resolved && r.withoutReply === 'answered_outside') out.resolvedWithoutReply.answeredOutside += 1;
    attempts.push(r.attempts);
    out.attemptsPerRequest.total += r.attempts;
    if (r.attempts >= ATTEMPTS_MANY) out.attemptsPerRequest.tenOrMore += 1;

    for (const e of r.escalations) {
      out.escalations.total += 1;
      if (e.open) out.escalations.open += 1;
      out.escalations.byLevel[String(e.level)] = (out.escalations.byLevel[String(e.level)] ?? 0) + 1;
      for (const level of new Set(e.levels.map((l) => l.level)))
        out.escalations.reachedLevel[String(level)] = (out.escalations.reachedLevel[String(level)] ?? 0) + 1;
    }
    for (const a of m.acks) {
      const list = acksByLevel.get(a.level) ?? [];
      list.push({ value: a.hours, censored: a.censored });
      acksByLevel.set(a.level, list);
    }
  }
  attempts.sort((a, b) => a - b);
  out.attemptsPerRequest.max = attempts.length ? attempts[attempts.length - 1]! : 0;
  out.attemptsPerRequest.p90 = attempts.length ? attempts[rankOf(90, attempts.length) - 1]! : 0;
  for (const level of [...acksByLevel.keys()].sort((a, b) => a - b)) {
    const waits = acksByLevel.get(level)!;
    out.escalations.acknowledgeByLevel[String(level)] = {
      acknowledged: waits.filter((w) => !w.censored).length,
      ...censoredPercentiles(waits),
    };
  }
  return out;
}

function firstResponseOf(slice: readonly Measured[]): FirstResponseFigures {
  let total = 0;
  let withinSla = 0;
  let answeredLate = 0;
  let closedBeforeDue = 0;
  let counted = 0;
  const waits: Array<{ value: number; censored: boolean }> = [];
  for (const m of slice) {
    if (m.firstExcluded) continue;
    counted += 1;
    waits.push({ value: m.firstHours, censored: m.firstCensored });
    if (m.closedBeforeDue) closedBeforeDue += 1;
    if (!m.firstDue) continue;
    total += 1;
    if (m.firstWithin) withinSla += 1;
    else if (!m.firstCensored) answeredLate += 1;
  }
  return {
    total,
    withinSla,
    answeredLate,
    unanswered: total - withinSla - answeredLate,
    withinSlaPercent: total === 0 ? null : Math.round((withinSla / total) * 1000) / 10,
    notYetDue: counted - total - closedBeforeDue,
    closedBeforeDue,
    ...censoredPercentiles(waits),
  };
}

/** See CensoredPercentiles. */
export function censoredPercentiles(waits: ReadonlyArray<{ value: number; censored: boolean }>): CensoredPercentiles {
  const sorted = [...waits].sort((a, b) => a.value - b.value);
  const at = (p: number): { hours: number | null; lowerBound: boolean } => {
    if (sorted.length === 0) return { hours: null, lowerBound: false };
    const rank = rankOf(p, sorted.length);
    const q = sorted[rank - 1]!.value;
    let finishedAtOrBelow = 0;
    for (const w of sorted) {
      if (w.value > q) break;
      if (!w.censored) finishedAtOrBelow += 1;
    }
    return { hours: Math.round(q * 100) / 100, lowerBound: finishedAtOrBelow < rank };
  };
  const p50 = at(50);
  const p90 = at(90);
  return {
    measured: sorted.length,
    censored: sorted.filter((w) => w.censored).length,
    p50Hours: p50.hours,
    p90Hours: p90.hours,
    p50LowerBound: p50.lowerBound,
    p90LowerBound: p90.lowerBound,
  };
}

const rankOf = (p: number, n: number) => Math.max(1, Math.ceil((p / 100) * n));

/** Nearest-rank percentile of ascending values, rounded to 0.01 h; null for no values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[rankOf(p, sorted.length) - 1]! * 100) / 100;
}

function weekOf(iso: string, timezone: string): string {
  return DateTime.fromISO(iso, { zone: timezone }).startOf('week').toISODate()!;
}

/**
 * weekOf for many rows: luxon's time-zone work is the costly part, and the week only changes at a
 * local midnight, so a UTC day whose first and last instants fall in one week answers for every
 * instant in it (the week never goes back in time).
 */
export function weeksOf(timezone: string): (iso: string) => string {
  const byUtcDay = new Map<string, string | null>();
  return (iso) => {
    if (!iso.endsWith('Z')) return weekOf(iso, timezone); // the UTC day is read off the string
    const day = iso.slice(0, 10);
    let week = byUtcDay.get(day);
    if (week === undefined) {
      const first = weekOf(`${day}T00:00:00.000Z`, timezone);
      week = first === weekOf(`${day}T23:59:59.999Z`, timezone) ? first : null;
      byUtcDay.set(day, week);
    }
    return week ?? weekOf(iso, timezone);
  };
}

/** Groups by key (null keys dropped), sorted by key. */
function groupBy(rows: readonly Measured[], keyOf: (r: Measured) => string | null): Array<[string, Measured[]]> {
  const groups = new Map<string, Measured[]>();
  for (const r of rows) {
    const key = keyOf(r);
    if (key === null) continue;
    const slice = groups.get(key);
    if (slice) slice.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
