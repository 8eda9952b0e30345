import { keys } from '../keys';
import type { RequestRecord, RequestView } from '../request-view/request-view';

/**
 * Queue order, "most urgent first": escalated requests first, then earliest due. A zset sorts by
 * ascending score, so the score is
 *
 *     tier * 10^13 + dueMs      tier 0: an escalation is open or acknowledged; tier 1: otherwise
 *
 * where dueMs is the epoch milliseconds of the deadline that is running: the first-response due time
 * until the first response, then the resolution due time. Epoch ms stay below 10^13 until the year
 * 2286, and 2 * 10^13 is far inside a double's exact integer range, so tiers never overlap and
 * ties within a tier order by due time exactly (equal scores fall back to the request id).
 */
export const QUEUE_TIER_SPAN = 1e13;

export function queueScore(record: RequestRecord): number {
  return queueScoreOf(record.view);
}

export function queueScoreOf(v: RequestView): number {
  const escalated = v.escalation !== null && v.escalation.status !== 'resolved';
  const due = v.firstRespondedAt === null ? v.due.firstResponseAt : v.due.resolutionAt;
  return (escalated ? 0 : 1) * QUEUE_TIER_SPAN + Date.parse(due);
}

/**
 * The queue a request belongs in: its officer's while assigned and not resolved; its team's
 * unassigned queue while unassigned and not resolved (rm:queue:team:unrouted without a team); none once resolved.
 */
export function queueKeyOf(record: Pick<RequestRecord, 'state'> | null): string | null {
  if (!record || record.state.status === 'resolved') return null;
  const s = record.state;
  return s.assignee ? keys.officerQueue(s.assignee.officerId) : keys.teamQueue(s.teamId);
}
