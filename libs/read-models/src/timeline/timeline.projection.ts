import { eraseRequestEventData, isPersonalDataErased } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { toTimelineEntry, type TimelineEntry } from './timeline';

/**
 * rm:timeline:<requestId>: a JSON list of entries, oldest first (append order is stream order). An
 * erasure rewrites the entries already there without the requester's words (subject, message,
 * summaries, outcome, reasons), then is listed itself.
 */
export class TimelineProjection implements Projection {
  readonly name = 'timeline';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    // Only events the request view accepts: none before a submission this read side saw.
    const change = await requestChange(event, reader, context);
    if (!change) return;
    if (isPersonalDataErased(event)) {
      const key = keys.timeline(change.requestId);
      tx.replaceList(key, (await reader.getList(key)).map(eraseEntry));
    }
    tx.rpush(keys.timeline(change.requestId), JSON.stringify(toTimelineEntry(event)));
  }
}

/** One stored entry with its personal text erased (the same string when it had none). */
function eraseEntry(stored: string): string {
  const entry = JSON.parse(stored) as TimelineEntry;
  const data = eraseRequestEventData(entry.type, entry.data);
  return data === entry.data ? stored : JSON.stringify({ ...entry, data });
}
