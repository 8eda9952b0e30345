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
 * A request as the read side hands it out: the domain's state (folded by the domain's own evolve,
 * the one fold there is) and the view the API shows, made from it by the domain's toView. The api
 * answers a command with the same toView of the same state, so the two cannot disagree.
 */
export interface RequestRecord {
  state: ContactRequestState;
  view: RequestView;
}

/**
 * What rm:request:<id> stores: the state, and the one thing the view shows that the state does not
 * know (the assignee's name, from the users read model). The view is derived on read (recordOf):
 * storing it beside the state doubled every write of the catch-up's largest value for nothing.
 */
export interface StoredRequest {
  state: ContactRequestState;
  /** The assigned officer's name when the record was last written (null: unassigned, or not known then). */
  assigneeName: string | null;
}

/** The record the api reads: the stored state with its view (toView, the same function the command path answers with). */
export const recordOf = (stored: StoredRequest): RequestRecord => ({
  state: stored.state,
  view: toView(stored.state, { assigneeName: stored.assigneeName }),
});

/** The stored form of a record (its view's assignee name is all it keeps of the view). */
export const storedOf = (record: RequestRecord): StoredRequest => ({
  state: record.state,
  assigneeName: record.view.assignee?.name ?? null,
});

/** Names the view shows beside ids, looked up by whoever stores the record (see ViewNames). */
export interface RecordNames {
  /** The assigned officer's name; undefined keeps the name the record already shows for the same officer. */
  assigneeName?: string | null;
}

/**
 * The stored request after one stored event (any schema version). The same object (===) when the
 * event changes nothing, and null for events of a request whose submission was never seen. No view
 * is made: the projections derive what they write from the state once per batch (see requestChange).
 */
export function applyToStoredRequest(stored: StoredRequest | null, event: StoredEvent, names: RecordNames = {}): StoredRequest | null {
  const before = stored?.state ?? initialState;
  const after = evolveStored(before, event);
  if (after === before || !isSubmitted(after)) return stored;
  const sameOfficer = !!stored?.state.assignee && !!after.assignee && stored.state.assignee.officerId === after.assignee.officerId;
  const assigneeName = !after.assignee
    ? null
    : names.assigneeName !== undefined
      ? names.assigneeName
      : sameOfficer
        ? stored!.assigneeName
        : null;
  return { state: after, assigneeName };
}

/**
 * The record after one stored event (any schema version). The same record (===) when the event
 * changes nothing, and null for events of a request whose submission was never seen.
 */
export function applyToRequestRecord(record: RequestRecord | null, event: StoredEvent, names: RecordNames = {}): RequestRecord | null {
  const stored = record && storedOf(record);
  const after = applyToStoredRequest(stored, event, names);
  return after === stored ? record : after && recordOf(after);
}

/** The portal account that submitted the request (null when staff logged it for someone without one). */
export const requesterUserIdOf = (record: Pick<RequestRecord, 'state'>): string | null => record.state.requester.userId ?? null;

/**
 * History the view forgets (it shows the current period only) but the SLA dashboard and the alerts
 * need: the first response against the first due date, and every escalation with each level it
 * reached. Read off the domain's state.
 */
export interface RequestFacts {
  /** First officer response ever; the view's firstRespondedAt restarts on reopen. */
  firstResponseAt: string | null;
  /** The first-response due time set at submission. */
  firstResponseDueAt: string;
  lastRespondedAt: string | null;
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

export function requestFacts({ state: s }: Pick<RequestRecord, 'state'>): RequestFacts {
  const escalations = s.escalation ? [...s.earlierEscalations, s.escalation] : s.earlierEscalations;
  return {
    firstResponseAt: s.firstEverRespondedAt,
    firstResponseDueAt: s.submittedDue.firstResponseAt,
    lastRespondedAt: s.lastRespondedAt,
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
