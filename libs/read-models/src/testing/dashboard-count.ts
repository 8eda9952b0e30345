import fc from 'fast-check';
import { v4 as uuid } from 'uuid';
import { isSubmitted, type ContactRequestCommand, type State } from '@send/domain';
import { submitRequest } from '@send/domain/testing/fixtures';
import type { SlaDashboard } from '../dashboard/sla-dashboard';

/**
 * An independent count of the SLA dashboard's figures, straight from request events: it reads the
 * events only, never the domain's state, the record or the dashboard row. Used by the dashboard's
 * property test (random decider histories) and the demo-data check.
 */

const KINDS = [
  'attempt',
  'attempt',
  'attempt',
  'assign',
  'respond',
  'holding',
  'resolve',
  'withdrawn',
  'duplicate',
  'answeredOutside',
  'reopen',
  'ack',
  'advance',
  'checkFirst',
  'checkResolution',
  'checkUpdate',
] as const;
const OFFICERS = [
  { officerId: 'officer-1', teamId: 'north' },
  { officerId: 'officer-2', teamId: 'south' },
  { officerId: 'officer-3', teamId: 'north' },
];
export const requestHistory = fc.record({
  startS: fc.integer({ min: 0, max: 14 * 86_400 }),
  role: fc.constantFrom('parent', 'school', 'mp', 'professional'),
  channel: fc.constantFrom('portal', 'phone', 'mp'),
  steps: fc.array(
    fc.record({ dt: fc.integer({ min: 1, max: 70 }), kind: fc.constantFrom(...KINDS), who: fc.integer({ min: 0, max: 2 }) }),
    { maxLength: 30 },
  ),
});
export type RequestHistory = typeof requestHistory extends fc.Arbitrary<infer T> ? T : never;

/** The command a step stands for, given the request as it stands (null: nothing to do). */
export function commandOf(step: RequestHistory['steps'][number], requestId: string, state: State, now: Date): ContactRequestCommand | null {
  const escalation = isSubmitted(state) ? state.escalation : null;
  switch (step.kind) {
    case 'attempt': {
      const attemptId = uuid();
      return { type: 'RecordAttempt', requestId, attemptId, channel: 'phone', source: 'portal', escalationId: `esc-${attemptId}` };
    }
    case 'assign':
      return { type: 'AssignRequest', requestId, ...OFFICERS[step.who]!, by: 'manager-1' };
    case 'respond':
      return {
        type: 'RecordResponse',
        requestId,
        responseId: uuid(),
        officerId: OFFICERS[step.who]!.officerId,
        channel: 'phone',
        summary: 'Called.',
      };
    case 'holding':
      return {
        type: 'RecordResponse',
        requestId,
        responseId: uuid(),
        officerId: OFFICERS[step.who]!.officerId,
        channel: 'email',
        summary: 'Looking into it.',
        kind: 'holding',
      };
    case 'resolve':
      return { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'answered' };
    case 'withdrawn':
    case 'duplicate':
      return { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'closed', withoutReply: { reason: step.kind } };
    case 'answeredOutside': {
      const answeredAt = new Date(
        Math.max(now.getTime() - step.dt * 500, isSubmitted(state) ? Date.parse(state.receivedAt) : 0),
      ).toISOString();
      return {
        type: 'ResolveRequest',
        requestId,
        by: 'officer-1',
        outcome: 'answered by letter',
        withoutReply: { reason: 'answered_outside', answeredAt },
      };
    }
    case 'reopen':
      return { type: 'ReopenRequest', requestId, by: 'parent-1', reason: 'Still waiting' };
    case 'ack':
      return escalation ? { type: 'AcknowledgeEscalation', requestId, escalationId: escalation.id, by: 'manager-1' } : null;
    case 'advance':
      return escalation ? { type: 'AdvanceEscalation', requestId, escalationId: escalation.id, expectedLevel: escalation.level } : null;
    case 'checkFirst':
      return { type: 'CheckDeadline', requestId, clock: 'first_response' };
    case 'checkResolution':
      return { type: 'CheckDeadline', requestId, clock: 'resolution' };
    case 'checkUpdate':
      return { type: 'CheckDeadline', requestId, clock: 'update' };
  }
}

export const submitOf = (h: RequestHistory, requestId: string, n: number): ContactRequestCommand =>
  submitRequest({
    requestId,
    reference: `SEND-2026-${String(n).padStart(6, '0')}`,
    channel: h.channel as 'portal',
    requester: { role: h.role as 'parent', name: 'R', email: 'r@example.org' },
  });

type Wait = { value: number; censored: boolean };
const H = 3_600_000;

/** Nearest-rank percentile and whether it is only a lower bound, written out again here. */
function pct(waits: Wait[], p: number): [number | null, boolean] {
  if (waits.length === 0) return [null, false];
  const sorted = [...waits].sort((a, b) => a.value - b.value);
  const k = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const q = sorted[k - 1]!.value;
  const finishedAtOrBelow = sorted.filter((w) => !w.censored && w.value <= q).length;
  return [Math.round((q / H) * 100) / 100, finishedAtOrBelow < k];
}

/** The independent count: every figure the property checks, from events alone. */
export function countFromEvents(
  histories: ReadonlyArray<ReadonlyArray<{ type: string; data: any }>>,
  now: number,
  /** Working milliseconds in [a, b]; elapsed by default (a 24/7 calendar). */
  between: (a: number, b: number) => number = (a, b) => Math.max(0, b - a),
) {
  const firstWaits: Wait[] = [];
  const byRequester: Record<'mp' | 'parent' | 'school', Wait[]> = { mp: [], parent: [], school: [] };
  let due = 0;
  let within = 0;
  let late = 0;
  let closedBeforeDue = 0;
  const attempts: number[] = [];
  const breachesByOfficer = new Map<string, number>();
  const breachesByTeam = new Map<string, number>();
  const reached = new Map<number, number>();
  const acks = new Map<number, Wait[]>();
  for (const events of histories) {
    const submitted = events.find((e) => e.type === 'ContactRequestSubmitted');
    if (!submitted) continue;
    if (Date.parse(submitted.data.submittedAt) > now) continue;
    const start = Date.parse(submitted.data.receivedAt ?? submitted.data.submittedAt);
    const dueAt = Date.parse(submitted.data.due.firstResponseAt);
    let officer: string | null = null;
    let team: string | null = submitted.data.teamId ?? null;
    let firstResponse: number | null = null;
    let resolvedAt: number | null = null;
    let withoutReply: { reason: string; answeredAt?: string } | null = null;
    let count = 0;
    const escalations: Array<{ id: string; levels: Array<{ level: number; at: number; ack: number | null }>; resolvedAt: number | null }> =
      [];
    for (const e of events) {
      const d = e.data;
      if (e.type === 'RequestRouted') [team, officer] = [d.teamId, null];
      if (e.type === 'RequestAssigned' || e.type === 'RequestReassigned') [officer, team] = [d.officerId, d.teamId];
      if (e.type === 'ContactAttemptRecorded') count += 1;
      if (e.type === 'OfficerResponded') firstResponse ??= Date.parse(d.at);
      if (e.type === 'RequestResolved') [resolvedAt, withoutReply] = [Date.parse(d.at), d.withoutReply ?? null];
      if (e.type === 'RequestReopened') [resolvedAt, withoutReply] = [null, null];
      if (e.type === 'SlaBreached') {
        if (officer) breachesByOfficer.set(officer, (breachesByOfficer.get(officer) ?? 0) + 1);
        breachesByTeam.set(team ?? 'unrouted', (breachesByTeam.get(team ?? 'unrouted') ?? 0) + 1);
      }
      const current = escalations[escalations.length - 1];
      if (e.type === 'EscalationRaised')
        escalations.push({ id: d.escalationId, levels: [{ level: d.level, at: Date.parse(d.raisedAt), ack: null }], resolvedAt: null });
      if (current && current.id === d.escalationId) {
        const last = current.levels[current.levels.length - 1]!;
        if (e.type === 'EscalationAcknowledged') last.ack ??= Date.parse(d.at);
        if (e.type === 'EscalationAdvanced') current.levels.push({ level: d.toLevel, at: Date.parse(d.at), ack: null });
        if (e.type === 'EscalationResolved') current.resolvedAt = Date.parse(d.at);
      }
    }
    if (withoutReply?.reason === 'answered_outside' && withoutReply.answeredAt) firstResponse ??= Date.parse(withoutReply.answeredAt);
    const closedAt = firstResponse === null && resolvedAt !== null ? Math.min(resolvedAt, now) : null;
    const end = firstResponse ?? closedAt ?? now;
    const wait = { value: between(start, end), censored: firstResponse === null };
    const duplicate = withoutReply?.reason === 'duplicate';
    attempts.push(count);
    if (!duplicate) firstWaits.push(wait);
    if (closedAt !== null && closedAt <= dueAt && !duplicate) closedBeforeDue += 1;
    const role = submitted.data.requester.role;
    const mp = submitted.data.channel === 'mp' || role === 'mp';
    if (duplicate) {
      // a duplicate's wait is the other request's: no first-response figure
    } else if (mp) byRequester.mp.push(wait);
    else if (role === 'parent' || role === 'school') byRequester[role as 'parent' | 'school'].push(wait);
    if (!duplicate && now > dueAt && (closedAt === null || closedAt > dueAt)) {
      due += 1;
      if (firstResponse !== null && firstResponse <= dueAt) within += 1;
      else if (firstResponse !== null) late += 1;
    }
    for (const esc of escalations) {
      for (const level of new Set(esc.levels.map((l) => l.level))) reached.set(level, (reached.get(level) ?? 0) + 1);
      esc.levels.forEach((l, i) => {
        const left = esc.levels[i + 1]?.at ?? (esc.resolvedAt !== null ? Math.min(esc.resolvedAt, now) : now);
        const list = acks.get(l.level) ?? [];
        list.push({ value: between(l.at, l.ack ?? left), censored: l.ack === null });
        acks.set(l.level, list);
      });
    }
  }
  const sortedAttempts = [...attempts].sort((a, b) => a - b);
  const percentiles = (waits: Wait[]) => {
    const [p50, p50LowerBound] = pct(waits, 50);
    const [p90, p90LowerBound] = pct(waits, 90);
    return {
      measured: waits.length,
      censored: waits.filter((w) => w.censored).length,
      p50Hours: p50,
      p90Hours: p90,
      p50LowerBound,
      p90LowerBound,
    };
  };
  return {
    firstResponse: {
      total: due,
      withinSla: within,
      answeredLate: late,
      unanswered: due - within - late,
      notYetDue: firstWaits.length - due - closedBeforeDue,
      closedBeforeDue,
      ...percentiles(firstWaits),
    },
    attemptsPerRequest: {
      total: attempts.reduce((a, b) => a + b, 0),
      max: sortedAttempts.length ? sortedAttempts[sortedAttempts.length - 1]! : 0,
      p90: sortedAttempts.length ? sortedAttempts[Math.max(1, Math.ceil(0.9 * sortedAttempts.length)) - 1]! : 0,
      tenOrMore: attempts.filter((a) => a >= 10).length,
    },
    breachesByOfficer: Object.fromEntries([...breachesByOfficer].sort()),
    breachesByTeam: Object.fromEntries([...breachesByTeam].sort()),
    reachedLevel: Object.fromEntries([...reached].map(([l, n]) => [String(l), n])),
    acknowledgeByLevel: Object.fromEntries(
      [...acks].map(([l, waits]) => [String(l), { acknowledged: waits.filter((w) => !w.censored).length, ...percentiles(waits) }]),
    ),
    responseByRequester: {
      mp: percentiles(byRequester.mp),
      parent: percentiles(byRequester.parent),
      school: percentiles(byRequester.school),
    },
  };
}

/** The same figures read off the dashboard, shaped as countFromEvents gives them. */
export function figuresOfDashboard(d: SlaDashboard) {
  const { withinSlaPercent: _, ...firstResponse } = d.firstResponse;
  const percentiles = ({ measured, censored, p50Hours, p90Hours, p50LowerBound, p90LowerBound }: SlaDashboard['firstResponse']) => ({
    measured,
    censored,
    p50Hours,
    p90Hours,
    p50LowerBound,
    p90LowerBound,
  });
  return {
    firstResponse,
    attemptsPerRequest: d.attemptsPerRequest,
    breachesByOfficer: Object.fromEntries(d.byOfficer.filter((o) => o.breaches.total > 0).map((o) => [o.officerId, o.breaches.total])),
    breachesByTeam: Object.fromEntries(d.byTeam.filter((t) => t.breaches.total > 0).map((t) => [t.teamId, t.breaches.total])),
    reachedLevel: d.escalations.reachedLevel,
    acknowledgeByLevel: d.escalations.acknowledgeByLevel,
    responseByRequester: {
      mp: percentiles(d.responseByRequester.mp),
      parent: percentiles(d.responseByRequester.parent),
      school: percentiles(d.responseByRequester.school),
    },
  };
}
