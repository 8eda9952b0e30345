import { evolveStored, isSubmitted, type ContactRequestState, type Requester, type State, type StoredEvent } from '@send/domain';

/** What changed for the family, one kind per message (ADR 0009). */
export type FamilyNoticeKind = 'received' | 'picked_up' | 'late' | 'holding_reply' | 'update_late' | 'resolved' | 'reopened';

/** The request event types that can tell the family something (the dispatcher's filter). */
export const FAMILY_EVENT_TYPES = [
  'ContactRequestSubmitted',
  'RequestAssigned',
  'RequestReassigned',
  'SlaBreached',
  'OfficerResponded',
  'RequestResolved',
  'RequestReopened',
] as const;

/**
 * Only what a message may say: the reference, a due instant, and which officer (their first name
 * and role are looked up later). Never the subject, message or a reply's summary: they are not
 * copied here, so nothing downstream can word them.
 */
export interface FamilyNotice {
  kind: FamilyNoticeKind;
  requestId: string;
  reference: string;
  /** received/reopened: the reply is due; picked_up: the reply is due (when none came yet); holding_reply: the update is due; late/update_late: what was missed. */
  dueAt: string | null;
  /** received (when routing assigned it in the same append) and picked_up. */
  officerId: string | null;
  /** Who to tell: the request's requester as it stands. */
  requester: Requester;
}

/** A stored event with what this module reads of it. */
export type FamilyStreamEvent = StoredEvent & { metadata?: { correlationId?: string } };

/**
 * Events appended together with the stream's first one (the submission and the routing it made):
 * consecutive, with the submission's correlation id. Routing's assignment is told in the receipt.
 */
function submissionAppendLength(stream: readonly FamilyStreamEvent[]): number {
  const correlationId = stream[0]?.metadata?.correlationId;
  if (!correlationId) return 1;
  let n = 1;
  while (n < stream.length && stream[n]!.metadata?.correlationId === correlationId) n++;
  return n;
}

/**
 * The message `stream[index]` calls for, or null. Pure, on the request's events in revision order.
 * Given the stream as it stands, so an event read late (a worker that was down) whose news is
 * already out of date (a late-reply notice for a request answered since) is not sent: suppressing
 * can never duplicate, and a redelivered event words the same notice or none.
 */
export function familyNoticeFor(stream: readonly FamilyStreamEvent[], index: number): FamilyNotice | null {
  const notice = noticeAt(stream, index);
  return notice && !superseded(notice.kind, stream.slice(index + 1)) ? notice : null;
}

/** Which later events make a notice old news (read late, after a worker outage): the family hears the newer one instead. */
const SUPERSEDED_BY: Record<FamilyNoticeKind, readonly string[]> = {
  received: [],
  picked_up: ['RequestAssigned', 'RequestReassigned', 'RequestResolved'],
  late: ['OfficerResponded', 'RequestResolved'],
  holding_reply: ['OfficerResponded', 'RequestResolved'],
  update_late: ['OfficerResponded', 'RequestResolved'],
  resolved: ['RequestReopened'],
  reopened: ['RequestResolved'],
};
const superseded = (kind: FamilyNoticeKind, later: readonly FamilyStreamEvent[]): boolean =>
  later.some((e) => SUPERSEDED_BY[kind].includes(e.type));

function noticeAt(stream: readonly FamilyStreamEvent[], index: number): FamilyNotice | null {
  const event = stream[index];
  if (!event) return null;
  let before: State = { status: 'none' };
  for (let i = 0; i < index; i++) before = evolveStored(before, stream[i]!);
  const after = evolveStored(before, event);
  if (!isSubmitted(after)) return null;
  const data = event.data as Record<string, any>;
  const notice = (kind: FamilyNoticeKind, dueAt: string | null, officerId: string | null = null): FamilyNotice => ({
    kind,
    requestId: after.requestId,
    reference: after.reference,
    dueAt,
    officerId,
    requester: after.requester,
  });

  switch (event.type) {
    case 'ContactRequestSubmitted': {
      if (isSubmitted(before)) return null;
      // The state after the whole submission append: who routing assigned, if anyone.
      let s: State = after;
      for (let i = index + 1; i < submissionAppendLength(stream); i++) s = evolveStored(s, stream[i]!);
      const assignee = isSubmitted(s) ? s.assignee : null;
      return notice('received', after.due.firstResponseAt, assignee?.officerId ?? null);
    }
    case 'RequestAssigned':
    case 'RequestReassigned': {
      if (!isSubmitted(before) || index < submissionAppendLength(stream)) return null; // told in the receipt
      if (before.status === 'resolved' || before.assignee?.officerId === after.assignee?.officerId) return null;
      return notice('picked_up', replyDue(after), after.assignee?.officerId ?? null);
    }
    case 'SlaBreached': {
      if (!isSubmitted(before) || before.breached[data.clock as 'first_response'] === true) return null; // once per clock per period
      if (data.clock === 'first_response') return notice('late', data.dueAt ?? before.due.firstResponseAt);
      if (data.clock === 'update') return notice('update_late', data.dueAt ?? before.updateDueAt);
      return null; // the resolution clock: the family already had a reply, and a manager is told
    }
    case 'OfficerResponded':
      // A full reply is itself the news; a holding reply promises an update: say when.
      return data.kind === 'holding' && after.updateDueAt ? notice('holding_reply', after.updateDueAt) : null;
    case 'RequestResolved':
      return isSubmitted(before) && before.status !== 'resolved' ? notice('resolved', null) : null;
    case 'RequestReopened':
      return isSubmitted(before) && before.status === 'resolved' ? notice('reopened', after.due.firstResponseAt) : null;
    default:
      return null;
  }
}

/** When the next reply is owed, if one still is: the first reply, else a promised update. */
function replyDue(s: ContactRequestState): string | null {
  if (s.firstRespondedAt === null) return s.due.firstResponseAt;
  return s.updateDueAt;
}
