import type { RecordedEvent } from '@send/event-store';
import { jsonEqual } from '../json-equal';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { toQueueEntry } from './queue-entry';
import { queueKeyOf } from './queue-score';

/**
 * rm:queue:officer:<officerId> and rm:queue:team:<teamId>: requests leave on resolve/assign and come
 * back on reopen. rm:queue-entry:<id>: the slim row of every queued request, gone when it leaves.
 */
export class QueuesProjection implements Projection {
  readonly name = 'queues';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    const change = await requestChange(event, reader, context);
    if (!change?.changed) return;
    const from = queueKeyOf(change.before);
    const to = queueKeyOf(change.after);
    if (from && from !== to) tx.zrem(from, change.requestId);
    if (to) {
      const entry = toQueueEntry(change.after.view);
      tx.zadd(to, entry.score, change.requestId);
      // Most events (attempt times aside) leave the row as it was: skip rewriting it.
      const unchanged = from !== null && jsonEqual(toQueueEntry(change.before!.view), entry);
      if (!unchanged) tx.setJson(keys.queueEntry(change.requestId), entry);
    } else if (from) {
      tx.del(keys.queueEntry(change.requestId));
    }
  }
}
