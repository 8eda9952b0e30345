import type { RecordedEvent } from '@send/event-store';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { queueKeyOf, queueScore } from './queue-score';

/** rm:queue:officer:<officerId> and rm:queue:team:<teamId>: requests leave on resolve/assign and come back on reopen. */
export class QueuesProjection implements Projection {
  readonly name = 'queues';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    const change = await requestChange(event, reader, context);
    if (!change?.changed) return;
    const from = queueKeyOf(change.before);
    const to = queueKeyOf(change.after);
    if (from && from !== to) tx.zrem(from, change.requestId);
    if (to) tx.zadd(to, queueScore(change.after), change.requestId);
  }
}
