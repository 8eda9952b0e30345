import type { RequestView } from '../request-view/request-view';
import { queueScoreOf } from './queue-score';

/**
 * What a queue row shows, kept beside each queued request (rm:queue-entry:<id>) so a queue page reads
 * a few hundred bytes per row instead of the whole record. The fields are the request view's, so a
 * client of the old full-view queues keeps working; the rest is one GET /api/requests/:id away.
 */
export type QueueEntry = Pick<
  RequestView,
  | 'id'
  | 'reference'
  | 'caseRef'
  | 'status'
  | 'category'
  | 'priority'
  | 'requesterRole'
  | 'assignee'
  | 'teamId'
  | 'needsCover'
  | 'requesterFlaggedUrgent'
  | 'submittedAt'
  | 'due'
  | 'unansweredAttempts'
  | 'lastAttemptAt'
> & {
  escalation: Pick<NonNullable<RequestView['escalation']>, 'level' | 'status'> | null;
  /** The request's queue score (queueScoreOf in queue-score.ts): its position in whichever queue holds it. */
  score: number;
};

export function toQueueEntry(v: RequestView): QueueEntry {
  return {
    id: v.id,
    reference: v.reference,
    caseRef: v.caseRef,
    status: v.status,
    category: v.category,
    priority: v.priority,
    requesterRole: v.requesterRole,
    assignee: v.assignee ? { id: v.assignee.id, name: v.assignee.name } : null,
    teamId: v.teamId,
    needsCover: v.needsCover,
    requesterFlaggedUrgent: v.requesterFlaggedUrgent,
    submittedAt: v.submittedAt,
    due: { firstResponseAt: v.due.firstResponseAt, resolutionAt: v.due.resolutionAt },
    unansweredAttempts: v.unansweredAttempts,
    lastAttemptAt: v.lastAttemptAt,
    escalation: v.escalation ? { level: v.escalation.level, status: v.escalation.status } : null,
    score: queueScoreOf(v),
  };
}
