import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { toTimelineEntry } from './timeline';

/** rm:timeline:<requestId>: a JSON list of entries, oldest first (append order is stream order). */
export class TimelineProjection implements Projection {
  readonly name = 'timeline';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    // Only events the request view accepts: none before a submission this read side saw.
    const change = await requestChange(event, reader, context);
    if (!change) return;
    tx.rpush(keys.timeline(change.requestId), JSON.stringify(toTimelineEntry(event)));
  }
}
