/**
 * The EventStore port (see shared DESIGN.md, "Event store"). Shaped after the KurrentDB client so
 * the two adapters can share one contract suite: names may differ from KurrentDB, semantics may not.
 */
import type { NewDataKeyRow } from './personal-data/data-key-store.port';

/** Where an append expects the stream to be: not there yet, anywhere, or at exactly this revision. */
export type ExpectedRevision = 'no_stream' | 'any' | bigint;

/** Who did it and why: carried by every event (DESIGN.md, "Every event's metadata"). */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  actor?: { id: string; role: string };
  idempotencyKey?: string;
  [key: string]: unknown;
}

/** An event to append. `id` is ours (a UUID): re-appending the same ids to the same stream is a no-op. */
export interface EventData<T = Record<string, unknown>> {
  id: string;
  type: string;
  data: T;
  metadata?: EventMetadata;
}

/** An event as stored: revision is its place in its stream (0-based), position its place in $all. */
export interface RecordedEvent<T = Record<string, unknown>> {
  id: string;
  streamId: string;
  type: string;
  revision: bigint;
  position: bigint;
  data: T;
  metadata: EventMetadata;
  recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextRevision: bigint;
  /** Position in $all of the last event appended (or of the already-stored one, for a no-op). */
  position: bigint;
  /**
   * Added (event-store adapters): the events this append recorded, in order, when the adapter has
   * them at no extra cost (SQLite). For an idempotent no-op, the events already stored under those
   * ids. Absent when the adapter would need another round trip (KurrentDB): read the stream instead.
   */
  events?: RecordedEvent[];
}

/** Added: where to start reading a stream (inclusive revision). */
export interface ReadOptions {
  fromRevision?: bigint;
}

export interface SubscriptionFilter {
  /** Only streams whose id starts with one of these. */
  streamPrefixes?: string[];
  /** Only events of these types. */
  eventTypes?: string[];
}

export interface SubscribeToAllOptions {
  /** Exclusive: the subscription yields events strictly after this position. */
  from: bigint | 'start';
  filter?: SubscriptionFilter;
  /**
   * Added (KurrentDB adapter): called with a position up to which the store has looked and every
   * matching event at or below it has already been yielded (KurrentDB's filtered-subscription
   * checkpoints). A consumer that has handled everything yielded may save it as its checkpoint, so a
   * sparse consumer resumes there instead of rescanning. Adapters that do not scan may never call it.
   */
  onCheckpoint?(position: bigint): Promise<void> | void;
}

/** Catches up from `from`, then stays live. `close()` ends the iteration cleanly. */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * Optional, instead of iterating: the events ready now (at most `max`, in position order),
   * waiting only when there are none; null once closed. An adapter that reads in pages offers it
   * so a batching consumer gets a page per call rather than one promise per event.
   */
  nextBatch?(max: number): Promise<RecordedEvent[] | null>;
}

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  /**
   * Added (issue 14, ADR 0016): new data keys to store in the same transaction as these events, by a
   * store with a `dataKeysLocation` (others must not be given any). Only with 'no_stream': if the
   * stream's scope already has keys the append is refused with DataKeysExist, nothing stored.
   */
  dataKeys?: NewDataKeyRow[];
}

export interface EventStore {
  append(stream: string, events: EventData[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Added: where this store can keep data keys in its own transactions (matched against a
   * DataKeyStore's `location`); undefined when it cannot.
   */
  readonly dataKeysLocation?: string;
  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options: SubscribeToAllOptions): AllSubscription;
  /**
   * Added: the position in $all of the last event stored now (0n when the store is empty). A
   * consumer that reads to here has seen everything appended before the call.
   */
  headPosition(): Promise<bigint>;
  /** Throws when the store cannot serve (used by /health). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedRevision extends Error {
  override readonly name = 'WrongExpectedRevision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** Added: a stream the store has deleted (KurrentDB: tombstoned): it can be neither read nor appended to. Not retryable. */
export class StreamDeleted extends Error {
  override readonly name = 'StreamDeleted';
  constructor(readonly stream: string) {
    super(`Stream ${stream} is deleted`);
  }
}

/**
 * Added: the store could not serve the call after its bounded retries (no leader, unreachable,
 * timed out). The call may be retried later; for an append with the same ids it is then a no-op
 * if the first attempt was stored after all.
 */
export class EventStoreUnavailable extends Error {
  override readonly name = 'EventStoreUnavailable';
  constructor(
    readonly operation: string,
    readonly attempts: number,
    override readonly cause?: unknown,
  ) {
    super(
      `Event store unavailable: ${operation} failed after ${attempts} attempt(s): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/**
 * Added: an append whose ids collide with stored events in a way that is not a retry of the same
 * append: an id already stored in another stream, only some of the ids already stored, the ids
 * stored in another order, or the same id twice in one append. Not retryable: redeciding would
 * produce the same ids again.
 */
export class DuplicateEventId extends Error {
  override readonly name = 'DuplicateEventId';
  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly reason: string,
  ) {
    super(`Stream ${stream}: event id ${eventId} ${reason}`);
  }
}

/**
 * Added: the largest append a store accepts by default, in bytes of its events' ids, types, data
 * and metadata as JSON (1 MiB: KurrentDB's default MaxAppendSize, so every store refuses the same
 * appends). EVENT_STORE_MAX_APPEND_BYTES changes it.
 */
export const DEFAULT_MAX_APPEND_BYTES = 1024 * 1024;

/**
 * Added: an append larger than the store's limit. Nothing of it is stored. Not retryable as is:
 * split the work into smaller appends, or keep large content (files, long texts) outside the event.
 */
export class AppendTooLargeError extends Error {
  override readonly name = 'AppendTooLargeError';
  constructor(
    readonly stream: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `Stream ${stream}: the append is ${bytes} bytes, over the event store's limit of ${limit} bytes ` +
        '(EVENT_STORE_MAX_APPEND_BYTES); append fewer or smaller events, and keep large content outside the event',
    );
  }
}

/** The size an append counts against the limit: UTF-8 bytes of each event's id, type, and data and metadata as JSON. */
export function appendSizeBytes(events: readonly { id: string; type: string; data: string; metadata: string }[]): number {
  let bytes = 0;
  for (const e of events)
    bytes += Buffer.byteLength(e.id) + Buffer.byteLength(e.type) + Buffer.byteLength(e.data) + Buffer.byteLength(e.metadata);
  return bytes;
}
