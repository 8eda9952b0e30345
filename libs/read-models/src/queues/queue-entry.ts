import type { Page } from '../paging/zset-page';
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

/**
 * A page of queue entries with the JSON text of each as stored (`json[i]` is JSON.stringify of
 * `items[i]`, its score last), so an answer can carry the rows without re-serialising them
 * (queueRowsJson).
 */
export interface QueuePage extends Page<QueueEntry> {
  json: string[];
}

/** The stored text's last member, the score, as JSON.stringify writes a number. */
const SCORE_LAST = /,"score":-?\d+(?:\.\d+)?(?:e[+-]\d+)?}$/;

/**
 * The page's rows as the api answers them, a JSON array of the entries without their scores: each
 * stored text with its trailing score cut off, which is the text JSON.stringify gives for the entry
 * without it (the stored text is JSON.stringify's own output). A 100-row page is ~40 kB of JSON:
 * splicing it costs a fraction of parsing and serialising it again. An entry not stored that way is
 * serialised again.
 */
export function queueRowsJson(page: QueuePage): string {
  const rows = page.items.map((entry, i) => {
    const stored = page.json[i]!;
    const score = SCORE_LAST.exec(stored);
    if (score) return `${stored.slice(0, score.index)}}`;
    const { score: _score, ...row } = entry;
    return JSON.stringify(row);
  });
  return `[${rows.join(',')}]`;
}
