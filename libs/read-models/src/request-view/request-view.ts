import {
  evolveStored,
  initialState,
  isSubmitted,
  toView,
  type ContactRequestState,
  type RequestView,
  type StoredEvent,
} from '@send/domain';

export type { RequestView } from '@send/domain';

/**
 * What the read side keeps of a request: the domain's state (folded by the domain's own evolve,
 * the one fold there is) and the view the API shows, made from it by the domain's toView. The
 * api answers a command with the same toView of the same state, so the two cannot disagree.
 */
export interface RequestRecord {
  state: ContactRequestState;
  view: RequestView;
}

/** Names the view shows beside ids, looked up by whoever stores the record (see ViewNames). */
export interface RecordNames {
  /** The assigned officer's name; undefined keeps the name the record already shows for the same officer. */
  assigneeName?: string | null;
}

/**
 * The record after one stored event (any schema version). The same record (===) when the event
 * changes nothing, and null for events of a request whose submission was never seen.
 */
export function applyToRequestRecord(record: RequestRecord | null, event: StoredEvent, names: RecordNames = {}): RequestRecord | null {
  const before = record?.state ?? initialState;
  const after = evolveStored(before, event);
  if (after === before || !isSubmitted(after)) return record;
  const sameOfficer = record?.view.assignee && record.view.assignee.id === after.assignee?.officerId;
  const assigneeName = names.assigneeName !== undefined ? names.assigneeName : sameOfficer ? record!.view.assignee!.name : null;
  return { state: after, view: toView(after, { assigneeName }) };
}

/** The portal account that submitted the request (null when staff logged it for someone without one). */
export const requesterUserIdOf = (record: RequestRecord): string | null => record.state.requester.userId ?? null;

/**
 * History the view forgets (it shows the current period only) but the SLA dashboard and the alerts
 * need: the first response against the first due date, every inbound attempt and when it was
 * answered, and every escalation with the highest level it reached. Read off the domain's state.
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
  /** Each level it reached, when, and its first acknowledgement there. */
  levels: Array<{ level: number; reachedAt: string; acknowledgedAt: string | null }>;
}

export function requestFacts({ state: s }: RequestRecord): RequestFacts {
  const escalations = s.escalation ? [...s.earlierEscalations, s.escalation] : s.earlierEscalations;
  return {
    firstResponseAt: s.firstEverRespondedAt,
    firstResponseDueAt: s.submittedDue.firstResponseAt,
    lastRespondedAt: s.lastRespondedAt,
    attempts: s.attempts.map(({ at, channel, answeredAt }) => ({ at, channel, answeredAt })),
    escalations: escalations.map(({ id, level, status, reason, notifyRole, raisedAt, unansweredCount, resolvedAt, levels }) => ({
      id,
      level,
      status,
      reason,
      notifyRole,
      raisedAt,
      unansweredCount,
      resolvedAt,
      // Escalations folded before levels were kept know only the level now and when it was raised.
      levels: levels ?? [{ level, reachedAt: raisedAt, acknowledgedAt: null }],
    })),
  };
}
