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

/** What the read side keeps beside the view but never shows: who may see it. */
export interface RequestRecord {
  view: RequestView;
  requesterUserId: string | null;
}

export interface ViewEvent {
  type: string;
  data: Record<string, any>;
  recordedAt: Date;
}

export function applyToRequestRecord(record: RequestRecord | null, event: ViewEvent): RequestRecord | null {
  const d = event.data;
  const at = (d.at as string | undefined) ?? event.recordedAt.toISOString();
  if (event.type === 'ContactRequestSubmitted') {
    return {
      requesterUserId: d.requester?.userId ?? null,
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
  switch (event.type) {
    case 'ContactAttemptRecorded':
      view.unansweredAttempts += 1;
      view.lastAttemptAt = d.at;
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
    default:
      return record;
  }
  return { ...record, view };
}

/** Later escalation events only touch the escalation they name. */
function updateEscalation(current: RequestView['escalation'], id: string, change: Partial<NonNullable<RequestView['escalation']>>) {
  return current && current.id === id ? { ...current, ...change } : current;
}
