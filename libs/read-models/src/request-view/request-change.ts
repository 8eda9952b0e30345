import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext } from '../projector';
import type { ReadModelReader } from '../read-through';
import { applyToRequestRecord, type RequestRecord } from './request-view';

export const REQUEST_STREAM_PREFIX = 'contact-request-';

/** A request's record before and after one event: what every request projection derives its writes from. */
export interface RequestChange {
  requestId: string;
  before: RequestRecord | null;
  after: RequestRecord;
  /** False when the event changed nothing the record keeps (e.g. CallBackFailed): it still belongs on the timeline. */
  changed: boolean;
}

/** The keys requestChange reads for an event (the Projector prefetches them for a batch). */
export function requestChangeKeys(event: RecordedEvent): string[] {
  if (!event.streamId.startsWith(REQUEST_STREAM_PREFIX)) return [];
  const request = keys.request(event.streamId.slice(REQUEST_STREAM_PREFIX.length));
  const officerId = assignedOfficerId(event);
  return officerId ? [request, keys.user(officerId)] : [request];
}

/**
 * Folds the event into the stored record once per event, shared by every projection through the
 * Projector's per-event context (they all read the record as it was before this event).
 * Null for events of other streams and for events of a request whose submission was never seen.
 */
export function requestChange(event: RecordedEvent, redis: ReadModelReader, context?: EventContext): Promise<RequestChange | null> {
  if (!event.streamId.startsWith(REQUEST_STREAM_PREFIX)) return Promise.resolve(null);
  const load = async (): Promise<RequestChange | null> => {
    const requestId = event.streamId.slice(REQUEST_STREAM_PREFIX.length);
    const before = await redis.getJson<RequestRecord>(keys.request(requestId));
    const after = applyToRequestRecord(before, await withOfficerName(event, redis));
    if (!after) return null;
    return { requestId, before, after, changed: after !== before };
  };
  if (!context) return load();
  return context.memo('request-change', load);
}

/** Assignment events carry the officer's id; the view shows their name, from the users directory. */
async function withOfficerName(event: RecordedEvent, redis: ReadModelReader): Promise<RecordedEvent> {
  const officerId = assignedOfficerId(event);
  if (!officerId) return event;
  const user = await redis.getJson<{ name?: string }>(keys.user(officerId));
  const name = user ? (user.name ?? null) : null;
  return { ...event, data: { ...event.data, officerName: name } };
}

function assignedOfficerId(event: RecordedEvent): string | null {
  if (event.type !== 'RequestAssigned' && event.type !== 'RequestReassigned') return null;
  return (event.data as { officerId?: string }).officerId ?? null;
}
