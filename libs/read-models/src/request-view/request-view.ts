import { isContactRequestEventType, upcast } from '@send/domain';
import { eventTime } from '../event-time';

/**
 * The request view of shared API.md, folded from a request's events. Pure, so the api can build the
 * same view from a fresh append (read-your-writes) that the worker's projection stores in Redis.
 */
export interface RequestView {
  id: string;
  reference: string;
  caseRef: string | null;
  status: 'open' | 'assigned' | 'responded' | 'resolved';
  category: string;
  priority: string;
  subject: string;
  channel: string;
  requesterRole: string;
  assignee: { id: string; name: string | null } | null;
  teamId: string | null;
  submittedAt: string;
  due: { firstResponseAt: string; resolutionAt: string };
  firstRespondedAt: string | null;
  unansweredAttempts: number;
  lastAttemptAt: string | null;
  breaches: Array<{ clock: 'first_response' | 'resolution'; dueAt: string; breachedAt: string }>;
  escalation: null | { id: string; level: number; status: 'open' | 'acknowledged' | 'resolved'; raisedAt: string; reason: string };
  resolvedAt: string | null;
  updatedAt: string;
}

/** What the read side keeps beside the view but never shows: who may see it, and facts for the dashboard and alerts. */
export interface RequestRecord {
  view: RequestView;
  requesterUserId: string | null;
  /** Absent only on records stored before facts were added (a rebuild adds them). */
  facts?: RequestFacts;
}

/**
 * History the view forgets (it shows the current period only) but the SLA dashboard and the alerts
 * need: the first response of the request's first period against its first due date, every inbound
 * attempt and whether a response came after it, and every escalation with the highest level it reached.
 */
export interface RequestFacts {
  /** First officer response ever; the view's firstRespondedAt restarts on reopen. */
  firstResponseAt: string | null;
  /** The first-response due time set at submission. */
  firstResponseDueAt: string;
  lastRespondedAt: string | null;
  attempts: Array<{ at: string; channel: string; answeredAt: string | null }>;
  escalations: EscalationFact[];
}

export interface EscalationFact {
  id: string;
  /** Current level. */
  level: number;
  status: 'open' | 'acknowledged' | 'resolved';
  reason: string;
  notifyRole: string | null;
  raisedAt: string;
  /** Unanswered attempts when raised plus those recorded while it was open (as the domain counts them). */
  unansweredCount: number;
  resolvedAt: string | null;
}

export interface ViewEvent {
  type: string;
  data: Record<string, any>;
  recordedAt: Date;
}

export function applyToRequestRecord(record: RequestRecord | null, event: ViewEvent): RequestRecord | null {
  // Stored events may be older schema versions: read them as the domain does.
  const d: Record<string, any> = isContactRequestEventType(event.type) ? upcast(event.type, event.data) : event.data;
  const at = eventTime({ data: d, recordedAt: event.recordedAt });
  if (event.type === 'ContactRequestSubmitted') {
    return {
      requesterUserId: d.requester?.userId ?? null,
      facts: { firstResponseAt: null, firstResponseDueAt: d.due.firstResponseAt, lastRespondedAt: null, attempts: [], escalations: [] },
      view: {
        id: d.requestId,
        reference: d.reference,
        caseRef: d.caseRef || null,
        status: 'open',
        category: d.category,
        priority: d.priority ?? 'normal',
        subject: d.subject,
        channel: d.channel,
        requesterRole: d.requester?.role ?? 'other',
        assignee: null,
        teamId: d.teamId ?? null,
        submittedAt: d.submittedAt,
        due: { firstResponseAt: d.due.firstResponseAt, resolutionAt: d.due.resolutionAt },
        firstRespondedAt: null,
        unansweredAttempts: 0,
        lastAttemptAt: null,
        breaches: [],
        escalation: null,
        resolvedAt: null,
        updatedAt: d.submittedAt,
      },
    };
  }
  if (!record) return null; // events of a request whose submission this view never saw
  const view: RequestView = { ...record.view, updatedAt: at };
  const facts = applyToFacts(record.facts ?? factsOf(record.view), event.type, d);
  switch (event.type) {
    case 'ContactAttemptRecorded':
      // As the domain counts: an attempt dated before the latest response was answered by it.
      if (isUnanswered(record.facts ?? factsOf(record.view), d.at)) view.unansweredAttempts += 1;
      if (view.lastAttemptAt === null || Date.parse(d.at) > Date.parse(view.lastAttemptAt)) view.lastAttemptAt = d.at;
      break;
    case 'RequestAssigned':
    case 'RequestReassigned':
      view.assignee = { id: d.officerId, name: d.officerName ?? null };
      view.teamId = d.teamId ?? view.teamId;
      if (view.status === 'open') view.status = 'assigned';
      break;
    case 'OfficerResponded':
      view.firstRespondedAt ??= d.at;
      view.unansweredAttempts = 0;
      if (view.status !== 'resolved') view.status = 'responded';
      break;
    case 'RequestResolved':
      view.status = 'resolved';
      view.resolvedAt = at;
      break;
    case 'RequestReopened':
      view.status = view.assignee ? 'assigned' : 'open';
      view.resolvedAt = null;
      if (d.due) view.due = { firstResponseAt: d.due.firstResponseAt, resolutionAt: d.due.resolutionAt };
      view.firstRespondedAt = null;
      view.unansweredAttempts = 0;
      break;
    case 'SlaBreached':
      view.breaches = [...view.breaches, { clock: d.clock, dueAt: d.dueAt, breachedAt: d.breachedAt }];
      break;
    case 'EscalationRaised':
      view.escalation = { id: d.escalationId, level: d.level, status: 'open', raisedAt: d.raisedAt ?? at, reason: d.reason };
      break;
    case 'EscalationAcknowledged':
      view.escalation = updateEscalation(view.escalation, d.escalationId, { status: 'acknowledged' });
      break;
    case 'EscalationAdvanced':
      view.escalation = updateEscalation(view.escalation, d.escalationId, { level: d.toLevel, status: 'open' });
      break;
    case 'EscalationResolved':
      view.escalation = updateEscalation(view.escalation, d.escalationId, { status: 'resolved' });
      break;
    case 'EscalationRenotified':
      break; // the view does not show renotifications; the facts keep the escalation's role
    default:
      return record;
  }
  return { ...record, view, facts };
}

const isUnanswered = (facts: RequestFacts, at: string): boolean =>
  facts.lastRespondedAt === null || Date.parse(at) > Date.parse(facts.lastRespondedAt);

/** A record's facts; for a record stored before facts existed, what its view still tells. */
export const requestFacts = (record: RequestRecord): RequestFacts => record.facts ?? factsOf(record.view);

function factsOf(view: RequestView): RequestFacts {
  return {
    firstResponseAt: view.firstRespondedAt,
    firstResponseDueAt: view.due.firstResponseAt,
    lastRespondedAt: view.firstRespondedAt,
    attempts: [],
    escalations: view.escalation
      ? [{ ...view.escalation, notifyRole: null, unansweredCount: view.unansweredAttempts, resolvedAt: null }]
      : [],
  };
}

function applyToFacts(facts: RequestFacts, type: string, d: Record<string, any>): RequestFacts {
  const touchEscalation = (id: string, change: (e: EscalationFact) => EscalationFact): RequestFacts => ({
    ...facts,
    escalations: facts.escalations.map((e) => (e.id === id ? change(e) : e)),
  });
  switch (type) {
    case 'ContactAttemptRecorded': {
      const unanswered = isUnanswered(facts, d.at);
      return {
        ...facts,
        attempts: [...facts.attempts, { at: d.at, channel: d.channel, answeredAt: unanswered ? null : facts.lastRespondedAt }],
        escalations: unanswered
          ? facts.escalations.map((e) => (e.status !== 'resolved' ? { ...e, unansweredCount: e.unansweredCount + 1 } : e))
          : facts.escalations,
      };
    }
    case 'OfficerResponded': {
      const t = Date.parse(d.at);
      return {
        ...facts,
        firstResponseAt: facts.firstResponseAt ?? d.at,
        lastRespondedAt: facts.lastRespondedAt === null || t > Date.parse(facts.lastRespondedAt) ? d.at : facts.lastRespondedAt,
        attempts: facts.attempts.map((a) => (a.answeredAt === null && Date.parse(a.at) <= t ? { ...a, answeredAt: d.at } : a)),
      };
    }
    case 'RequestReopened':
      // As the domain: a reopen starts a new period; what was unanswered was dealt with by the resolution.
      return { ...facts, attempts: facts.attempts.map((a) => (a.answeredAt === null ? { ...a, answeredAt: d.at } : a)) };
    case 'EscalationRaised':
      return {
        ...facts,
        escalations: [
          ...facts.escalations,
          {
            id: d.escalationId,
            level: d.level,
            status: 'open',
            reason: d.reason,
            notifyRole: d.notifyRole ?? null,
            raisedAt: d.raisedAt,
            unansweredCount: d.unansweredCount ?? 0,
            resolvedAt: null,
          },
        ],
      };
    case 'EscalationAcknowledged':
      return touchEscalation(d.escalationId, (e) => ({ ...e, status: 'acknowledged' }));
    case 'EscalationAdvanced':
      return touchEscalation(d.escalationId, (e) => ({ ...e, level: d.toLevel, status: 'open', notifyRole: d.notifyRole ?? e.notifyRole }));
    case 'EscalationRenotified':
      return touchEscalation(d.escalationId, (e) => ({ ...e, notifyRole: d.notifyRole ?? e.notifyRole }));
    case 'EscalationResolved':
      return touchEscalation(d.escalationId, (e) => ({ ...e, status: 'resolved', resolvedAt: d.at ?? null }));
    default:
      return facts;
  }
}

/** Later escalation events only touch the escalation they name. */
function updateEscalation(current: RequestView['escalation'], id: string, change: Partial<NonNullable<RequestView['escalation']>>) {
  return current && current.id === id ? { ...current, ...change } : current;
}
