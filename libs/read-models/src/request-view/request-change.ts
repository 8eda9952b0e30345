import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext } from '../projector';
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

/**
 * Folds the event into the stored record once per event, shared by every projection through the
 * Projector's per-event context (they all read the state before this event's MULTI commits).
 * Null for events of other streams and for events of a request whose submission was never seen.
 */
export function requestChange(event: RecordedEvent, redis: Redis, context?: EventContext): Promise<RequestChange | null> {
  if (!event.streamId.startsWith(REQUEST_STREAM_PREFIX)) return Promise.resolve(null);
  const load = async (): Promise<RequestChange | null> => {
    const requestId = event.streamId.slice(REQUEST_STREAM_PREFIX.length);
    const stored = await redis.get(keys.request(requestId));
    const before: RequestRecord | null = stored ? JSON.parse(stored) : null;
    const after = applyToRequestRecord(before, await withOfficerName(event, redis));
    if (!after) return null;
    return { requestId, before, after, changed: after !== before };
  };
  if (!context) return load();
  return context.memo('request-change', load);
}

/** Assignment events carry the officer's id; the view shows their name, from the users directory. */
async function withOfficerName(event: RecordedEvent, redis: Redis): Promise<RecordedEvent> {
  if (event.type !== 'RequestAssigned' && event.type !== 'RequestReassigned') return event;
  const officerId = (event.data as { officerId?: string }).officerId;
  if (!officerId) return event;
  const user = await redis.get(keys.user(officerId));
  const name = user ? ((JSON.parse(user) as { name?: string }).name ?? null) : null;
  return { ...event, data: { ...event.data, officerName: name } };
}
