import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChangeKeys, requestAtBatchEnd, withRequestChange, type RequestChange } from './request-change';
import { requesterUserIdOf, type RequestRecord } from './request-view';
import { dashboardRowOf } from '../dashboard/dashboard-row';

/**
 * Keeps rm:request:<id> and the lists that index it (every event that changes it), and its dashboard
 * row (once per batch, from where the request ends up).
 */
export class RequestViewProjection implements Projection {
  readonly name = 'request-view';

  readonly keysRead = requestChangeKeys;

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): void | Promise<void> {
    return withRequestChange(event, reader, context, (change) => this.apply(change, reader, tx));
  }

  private apply(change: RequestChange | null, reader: ReadModelReader, tx: ReadModelWrites): void {
    if (!change?.changed) return;
    const { requestId, before, after } = change;
    tx.setJson(keys.request(requestId), after);
    // The lists a request belongs to follow where it is now: routing and assignment move it between
    // them. Event by event: a later event of the batch reads them (an erased officer's requests).
    if (!before || !sameLists(before, after)) {
      const score = Date.parse(after.state.submittedAt);
      const was = before ? listKeysOf(before) : [];
      const is = listKeysOf(after);
      for (const key of was) if (!is.includes(key)) tx.zrem(key, requestId);
      for (const key of is) if (!was.includes(key)) tx.zadd(key, score, requestId);
    }
    requestAtBatchEnd(this.name, change, reader, tx, (_before, now) => tx.setJson(keys.dashboardRow(requestId), dashboardRowOf(now)));
  }
}

/** True when listKeysOf gives the same lists for both (most events: an attempt, a reply), without making them. */
function sameLists(a: Pick<RequestRecord, 'state'>, b: Pick<RequestRecord, 'state'>): boolean {
  const x = a.state;
  const y = b.state;
  return (
    x.teamId === y.teamId &&
    x.caseRef === y.caseRef &&
    x.assignee?.officerId === y.assignee?.officerId &&
    requesterUserIdOf(a) === requesterUserIdOf(b)
  );
}

/** Every list (zset by submission time) that holds the request as it stands: what scoped reads page through. */
export function listKeysOf(record: Pick<RequestRecord, 'state'>): string[] {
  const s = record.state;
  const out = [keys.allRequests(), s.teamId ? keys.requestsByTeam(s.teamId) : keys.requestsInTriage()];
  const requesterUserId = requesterUserIdOf(record);
  if (requesterUserId) out.push(keys.requestsByRequester(requesterUserId));
  if (s.caseRef) out.push(keys.requestsByCase(s.caseRef));
  if (s.assignee) out.push(keys.requestsByAssignee(s.assignee.officerId));
  return out;
}
