import { eraseRequestEventData, isPersonalDataErased } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChangeKeys, withRequestChange, type RequestChange } from '../request-view/request-change';
import { toTimelineEntry, type TimelineEntry } from './timeline';

/**
 * rm:timeline:<requestId>: a JSON list of entries, oldest first (append order is stream order). An
 * erasure rewrites the entries already there without the requester's words (subject, message,
 * summaries, outcome, reasons), then is listed itself.
 */
export class TimelineProjection implements Projection {
  readonly name = 'timeline';

  readonly keysRead = requestChangeKeys;

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): void | Promise<void> {
    return withRequestChange(event, reader, context, (change) => this.apply(change, event, reader, tx));
  }

  private apply(change: RequestChange | null, event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): void | Promise<void> {
    // Only events the request view accepts: none before a submission this read side saw.
    if (!change) return;
    const key = keys.timeline(change.requestId);
    if (isPersonalDataErased(event))
      return reader.getList(key).then((stored) => {
        tx.replaceList(key, stored.map(eraseEntry));
        tx.rpush(key, JSON.stringify(toTimelineEntry(event)));
      });
    tx.rpush(key, JSON.stringify(toTimelineEntry(event)));
  }
}

/** One stored entry with its personal text erased (the same string when it had none). */
function eraseEntry(stored: string): string {
  const entry = JSON.parse(stored) as TimelineEntry;
  const data = eraseRequestEventData(entry.type, entry.data);
  return data === entry.data ? stored : JSON.stringify({ ...entry, data });
}
