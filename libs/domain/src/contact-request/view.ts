/**
 * The request view of shared API.md, as a pure function of the request's state. The api answers a
 * command with it and the projection stores it, so the two cannot disagree. What the state does not
 * know (an officer's name) the caller looks up and passes in.
 */
import type { ContactRequestState } from './state';

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
  /** Routed to a case whose officer is away, and nobody has taken it yet. */
  needsCover: boolean;
  submittedAt: string;
  /** When the contact arrived (staff may backdate it); the clocks run from then. */
  receivedAt: string;
  /** The requester asked for urgency; `priority` is what staff set. */
  requesterFlaggedUrgent: boolean;
  due: { firstResponseAt: string; resolutionAt: string };
  /** After a holding reply: when the family must hear again; null when no update is owed. */
  updateDueAt: string | null;
  firstRespondedAt: string | null;
  unansweredAttempts: number;
  lastAttemptAt: string | null;
  breaches: Array<{ clock: 'first_response' | 'resolution' | 'update'; dueAt: string; breachedAt: string }>;
  escalation: null | { id: string; level: number; status: 'open' | 'acknowledged' | 'resolved'; raisedAt: string; reason: string };
  resolvedAt: string | null;
  updatedAt: string;
}

/** Names the view shows beside ids: looked up by the caller (users read model), null when unknown. */
export interface ViewNames {
  assigneeName?: string | null;
}

export const toView = (s: ContactRequestState, names: ViewNames = {}): RequestView => ({
  id: s.requestId,
  reference: s.reference,
  // The case it is filed on; in triage, the number the requester gave (theirs to see, and staff's to check).
  caseRef: s.caseRef || s.requestedCaseRef || null,
  status: s.status,
  category: s.category,
  priority: s.priority,
  subject: s.subject,
  channel: s.channel,
  requesterRole: s.requester.role,
  assignee: s.assignee ? { id: s.assignee.officerId, name: names.assigneeName ?? null } : null,
  teamId: s.teamId,
  needsCover: s.needsCover,
  submittedAt: s.submittedAt,
  receivedAt: s.receivedAt,
  requesterFlaggedUrgent: s.requesterFlaggedUrgent,
  due: { firstResponseAt: s.due.firstResponseAt, resolutionAt: s.due.resolutionAt },
  updateDueAt: s.updateDueAt,
  firstRespondedAt: s.firstRespondedAt,
  unansweredAttempts: s.unansweredCount,
  lastAttemptAt: s.lastAttemptAt,
  breaches: s.breaches.map(({ clock, dueAt, breachedAt }) => ({ clock, dueAt, breachedAt })),
  escalation: s.escalation
    ? {
        id: s.escalation.id,
        level: s.escalation.level,
        status: s.escalation.status,
        raisedAt: s.escalation.raisedAt,
        reason: s.escalation.reason,
      }
    : null,
  resolvedAt: s.resolvedAt,
  updatedAt: s.updatedAt,
});
