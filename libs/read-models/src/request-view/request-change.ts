import type { RecordedEvent } from '@send/event-store';
import { requestIdOf } from '@send/domain';
import { keys } from '../keys';
import type { EventContext } from '../projector';
import type { ReadModelReader } from '../read-through';
import { applyToRequestRecord, type RequestRecord } from './request-view';

/** A request's record before and after one event: what every request projection derives its writes from. */
export interface RequestChange {
  requestId: string;
  before: RequestRecord | null;
  after: RequestRecord;
  /** False when the event changed nothing the record keeps: it may still belong on the timeline. */
  changed: boolean;
}

/** The keys requestChange reads for an event (the Projector prefetches them for a batch). */
export function requestChangeKeys(event: RecordedEvent): string[] {
  const requestId = requestIdOf(event.streamId);
  if (requestId === null) return [];
  const officerId = assignedOfficerId(event);
  return officerId ? [keys.request(requestId), keys.user(officerId)] : [keys.request(requestId)];
}

/**
 * Folds the event into the stored record once per event, shared by every projection through the
 * Projector's per-event context (they all read the record as it was before this event).
 * Null for events of other streams and for events of a request whose submission was never seen.
 */
export function requestChange(event: RecordedEvent, redis: ReadModelReader, context?: EventContext): Promise<RequestChange | null> {
  const requestId = requestIdOf(event.streamId);
  if (requestId === null) return Promise.resolve(null);
  const load = async (): Promise<RequestChange | null> => {
    const before = await redis.getJson<RequestRecord>(keys.request(requestId));
    const after = applyToRequestRecord(before, event, await officerName(event, redis));
    if (!after) return null;
    return { requestId, before, after, changed: after !== before };
  };
  if (!context) return load();
  return context.memo('request-change', load);
}

/** Assignment events carry the officer's id; the view shows their name, from the users read model. */
async function officerName(event: RecordedEvent, redis: ReadModelReader): Promise<{ assigneeName?: string | null }> {
  const officerId = assignedOfficerId(event);
  if (!officerId) return {};
  const user = await redis.getJson<{ name?: string }>(keys.user(officerId));
  return { assigneeName: user?.name ?? null };
}

function assignedOfficerId(event: RecordedEvent): string | null {
  if (event.type !== 'RequestAssigned' && event.type !== 'RequestReassigned') return null;
  return (event.data as { officerId?: string }).officerId ?? null;
}
