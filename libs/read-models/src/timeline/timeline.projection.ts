import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import { requestChange } from '../request-view/request-change';
import { toTimelineEntry } from './timeline';

/** rm:timeline:<requestId>: a JSON list of entries, oldest first (append order is stream order). */
export class TimelineProjection implements Projection {
  readonly name = 'timeline';

  async project(event: RecordedEvent, redis: Redis, tx: ChainableCommander, context?: EventContext): Promise<void> {
    // Only events the request view accepts: none before a submission this read side saw.
    const change = await requestChange(event, redis, context);
    if (!change) return;
    tx.rpush(keys.timeline(change.requestId), JSON.stringify(toTimelineEntry(event)));
  }
}
