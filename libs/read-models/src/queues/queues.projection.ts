import type { RecordedEvent } from '@send/event-store';
import { jsonEqual } from '../json-equal';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestAtBatchEnd, requestChangeKeys, withRequestChange, type RequestChange } from '../request-view/request-change';
import { toQueueEntry } from './queue-entry';
import { queueKeyOf } from './queue-score';

/**
 * rm:queue:officer:<officerId> and rm:queue:team:<teamId>: requests leave on resolve/assign and come
 * back on reopen. rm:queue-entry:<id>: the slim row of every queued request, gone when it leaves.
 * Both once per batch, from where the request ends up (requestAtBatchEnd).
 */
export class QueuesProjection implements Projection {
  readonly name = 'queues';

  readonly keysRead = requestChangeKeys;

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): void | Promise<void> {
    return withRequestChange(event, reader, context, (change) => this.apply(change, reader, tx));
  }

  private apply(change: RequestChange | null, reader: ReadModelReader, tx: ReadModelWrites): void {
    if (!change?.changed) return;
    const { requestId } = change;
    requestAtBatchEnd(this.name, change, reader, tx, (before, after) => {
      const from = queueKeyOf(before);
      const to = queueKeyOf(after);
      if (from && from !== to) tx.zrem(from, requestId);
      if (to) {
        const entry = toQueueEntry(after.view);
        const was = from === null ? null : toQueueEntry(before!.view);
        // The batch that put the row where it was wrote its member and score with it: only a move
        // or a new score (an escalation, a first response) is written again.
        if (from !== to || was?.score !== entry.score) tx.zadd(to, entry.score, requestId);
        // Most events (attempt times aside) leave the row as it was: skip rewriting it.
        if (!was || !jsonEqual(was, entry)) tx.setJson(keys.queueEntry(requestId), entry);
      } else if (from) {
        tx.del(keys.queueEntry(requestId));
      }
    });
  }
}
