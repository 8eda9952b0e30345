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
 * Without a promise when the reader already knows the keys it needs (peekJson: a batch's prefetched
 * keys), so a catch-up folds each event with no promise per projection.
 */
function requestChange(
  event: RecordedEvent,
  reader: ReadModelReader,
  context: EventContext,
): RequestChange | null | Promise<RequestChange | null> {
  let change = context.get<RequestChange | null | Promise<RequestChange | null>>(REQUEST_CHANGE);
  if (change === undefined) context.set(REQUEST_CHANGE, (change = changeOf(event, reader)));
  return change;
}

/** requestChange's result handed to `apply`, without a promise when it came without one. */
export function withRequestChange(
  event: RecordedEvent,
  reader: ReadModelReader,
  context: EventContext,
  apply: (change: RequestChange | null) => void | Promise<void>,
): void | Promise<void> {
  const change = requestChange(event, reader, context);
  return change instanceof Promise ? change.then(apply) : apply(change);
}

const REQUEST_CHANGE = 'request-change';

function changeOf(event: RecordedEvent, reader: ReadModelReader): RequestChange | null | Promise<RequestChange | null> {
  const requestId = requestIdOf(event.streamId);
  if (requestId === null) return null;
  const key = keys.request(requestId);
  const officerId = assignedOfficerId(event);
  const before = reader.peekJson<StoredRequest>(key);
  const user = officerId ? reader.peekJson<{ name?: string }>(keys.user(officerId)) : null;
  if (before === undefined || user === undefined) return readChange(requestId, key, officerId, event, reader);
  return changeFrom(requestId, before, event, officerId ? { assigneeName: user?.name ?? null } : NO_NAMES);
}

/** changeOf for keys the batch did not prefetch: read from Redis. */
async function readChange(
  requestId: string,
  key: string,
  officerId: string | null,
  event: RecordedEvent,
  reader: ReadModelReader,
): Promise<RequestChange | null> {
  const before = await reader.getJson<StoredRequest>(key);
  return changeFrom(requestId, before, event, officerId ? await officerName(officerId, reader) : NO_NAMES);
}

function changeFrom(requestId: string, before: StoredRequest | null, event: RecordedEvent, names: RecordNames): RequestChange | null {
  const after = applyToStoredRequest(before, event, names);
  if (!after) return null;
  return { requestId, before, after, changed: after !== before };
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
  tx.atBatchEnd(projection, requestId, () => {
    const finish = (after: StoredRequest | null) => {
      if (after) derive(before && cachedRecordOf(before), cachedRecordOf(after));
    };
    const key = keys.request(requestId);
    // Known at the batch's end (this batch wrote it): no promise.
    const after = reader.peekJson<StoredRequest>(key);
    return after === undefined ? reader.getJson<StoredRequest>(key).then(finish) : finish(after);
  });
}
