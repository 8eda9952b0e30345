import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import type { EventContext, Projection } from '../projector';
import { requestChange } from '../request-view/request-change';
import { queueKeyOf, queueScore } from './queue-score';

/** rm:queue:officer:<officerId> and rm:queue:team:<teamId>: requests leave on resolve/assign and come back on reopen. */
export class QueuesProjection implements Projection {
  readonly name = 'queues';

  async project(event: RecordedEvent, redis: Redis, tx: ChainableCommander, context?: EventContext): Promise<void> {
    const change = await requestChange(event, redis, context);
    if (!change?.changed) return;
    const from = queueKeyOf(change.before);
    const to = queueKeyOf(change.after);
    if (from && from !== to) tx.zrem(from, change.requestId);
    if (to) tx.zadd(to, queueScore(change.after), change.requestId);
  }
}
