import type { RecordedEvent } from '@send/event-store';
import { requestIdOf } from '@send/domain';
import { keys } from '../keys';
import type { EventContext } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { applyToStoredRequest, recordOf, type RecordNames, type RequestRecord, type StoredRequest } from './request-view';

/** A request's stored record before and after one event: what every request projection derives its writes from. */
export interface RequestChange {
  requestId: string;
  before: StoredRequest | null;
  after: StoredRequest;
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
    const before = await redis.getJson<StoredRequest>(keys.request(requestId));
    const officerId = assignedOfficerId(event);
    const after = applyToStoredRequest(before, event, officerId ? await officerName(officerId, redis) : NO_NAMES);
    if (!after) return null;
    return { requestId, before, after, changed: after !== before };
  };
  if (!context) return load();
  return context.memo('request-change', load);
}

const NO_NAMES: RecordNames = Object.freeze({});

/** Assignment events carry the officer's id; the view shows their name, from the users read model. */
async function officerName(officerId: string, redis: ReadModelReader): Promise<RecordNames> {
  const user = await redis.getJson<{ name?: string }>(keys.user(officerId));
  return { assigneeName: user?.name ?? null };
}

function assignedOfficerId(event: RecordedEvent): string | null {
  if (event.type !== 'RequestAssigned' && event.type !== 'RequestReassigned') return null;
  return (event.data as { officerId?: string }).officerId ?? null;
}

/** Each stored record's view, made once however many projections derive from it in a batch's end. */
const records = new WeakMap<StoredRequest, RequestRecord>();
function cachedRecordOf(stored: StoredRequest): RequestRecord {
  let record = records.get(stored);
  if (!record) records.set(stored, (record = recordOf(stored)));
  return record;
}

/**
 * Registers `derive` to run once at the end of the batch (see ReadModelWrites.atBatchEnd) with the
 * request as it was before the batch's first change to it and as it stands after the batch's last
 * event (read then, so a later event of the batch that rewrote the record, an erased assignee name,
 * is in it). Writes derived so from the two ends of a batch are the writes event by event would
 * leave: each is the state of its key (a row, a zset member), never a count of the steps between.
 */
export function requestAtBatchEnd(
  projection: string,
  change: RequestChange,
  reader: ReadModelReader,
  tx: ReadModelWrites,
  derive: (before: RequestRecord | null, after: RequestRecord) => void,
): void {
  const { requestId, before } = change;
  tx.atBatchEnd(`${projection}:${requestId}`, async () => {
    const after = await reader.getJson<StoredRequest>(keys.request(requestId));
    if (after) derive(before && cachedRecordOf(before), cachedRecordOf(after));
  });
}
