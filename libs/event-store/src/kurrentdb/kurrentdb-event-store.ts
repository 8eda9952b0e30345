import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Filter,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  AppendTooLargeError,
  DEFAULT_MAX_APPEND_BYTES,
  DuplicateEventId,
  EventStoreUnavailable,
  StreamDeleted,
  type AllSubscription,
  type AppendResult,
  type EventData,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type ReadOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../event-store.port';
import { kurrentDbConnectionString, kurrentDbCredentials, type KurrentDbConnectionSettings } from './kurrentdb-connection';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs, translateAppendError, type RetryPolicy } from './kurrentdb-errors';
import { appendSize, compareWithStored } from './kurrentdb-idempotency';

/**
 * The production EventStore: KurrentDB through the official client, written against the server's
 * behaviour (docs/adr/0013-kurrentdb-adapter-true-to-the-server.md lists each one with its source).
 *
 * Positions: our bigint position is KurrentDB's COMMIT position of the event in the transaction
 * log. It increases strictly along $all, which is all a checkpoint needs. Resuming from it we pass
 * `{ commit: p, prepare: p }`; KurrentDB's fromPosition is exclusive, like our `from`. (For events
 * appended through the gRPC API, commit and prepare positions coincide.)
 *
 * Idempotency is checked here as the SQLite adapter checks it, on the stream's last events before
 * each send (compareWithStored, storedNear), not left to the server's window. Event ids are not
 * checked across streams: KurrentDB has no index by event id.
 *
 * Every call goes to the leader (requires-leader), with bounded retries for the errors after which
 * that is safe (isRetryable); what outlasts them is an EventStoreUnavailable.
 */
export interface KurrentDbEventStoreOptions extends KurrentDbConnectionSettings {
  /**
   * The server's MaxAppendSize, bytes: larger appends are refused here, before sending. Default
   * 1 MiB (DEFAULT_MAX_APPEND_BYTES), the server's default through 25.0 (ClusterVNodeOptions.cs
   * `MaxAppendSize = 1_024 * 1_024`; 256 MiB from 25.1): raise it only to what the server is set to.
   */
  maxAppendBytes?: number;
  /** How long ping() waits for the leader to acknowledge its empty append. Default 1500 ms, inside /health's 2 s. */
  healthTimeoutMs?: number;
  /** Attempts and backoff for NotLeader, Unavailable and timeouts. */
  retry?: Partial<RetryPolicy>;
}

/** The stream ping() appends nothing to: an empty write still goes through the leader's write path. */
export const HEALTH_STREAM = 'send-health';

/** How many of a stream's last events an append with an expected revision is compared with. */
const LOOK_BACK = 32;

/**
 * Every call goes to the leader. A follower serves a read from its own, possibly stale, copy unless
 * requires-leader is set (server ClusterVNodeController.cs HandleAsNonLeader(ReadEvent...)), and the
 * client's reads default to false over a separate bridge connection (client streams/readStream.ts).
 * The leader answers an append only once it has indexed it (RequestManagerBase.cs AllEventsWritten),
 * so the read-back after an append, on the leader, sees it.
 */
const LEADER = { requiresLeader: true } as const;

export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly subscriptions = new Set<AllSubscription>();
  /** Appends in flight by (stream, expected revision, ids): an identical append joins the first. */
  private readonly inFlight = new Map<string, Promise<AppendResult>>();
  private readonly retry: RetryPolicy;
  private readonly maxAppendBytes: number;
  private readonly healthTimeoutMs: number;

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = KurrentDBClient.connectionString(kurrentDbConnectionString(options));
    const credentials = kurrentDbCredentials(options);
    if (credentials) this.client.setCredentialsProvider(() => credentials);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 1500;
  }

  append(stream: string, events: EventData[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new TypeError(`append to ${stream}: no events to append`));
    const expected = options.expectedRevision;
    const ids: string[] = [];
    for (const e of events) {
      if (ids.includes(e.id)) return Promise.reject(new DuplicateEventId(stream, e.id, 'appears twice in one append'));
      ids.push(e.id);
    }
    const wire = events.map((e) => ({
      id: e.id,
      type: e.type,
      data: (e.data ?? {}) as Record<string, unknown>,
      metadata: toStoredMetadata(e.metadata),
    }));
    // The server refuses an append over MaxAppendSize only once it has received it all
    // (Transport/Grpc/Streams.Append.cs, MaxAppendSizeExceeded): refuse it here, with a clear error.
    const bytes = appendSize(wire.map((e) => ({ type: e.type, data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) })));
    if (bytes > this.maxAppendBytes) return Promise.reject(new AppendTooLargeError(stream, bytes, this.maxAppendBytes));

    // The same append sent twice at once (a double submit): the server drops the second while the
    // first is not yet indexed (StorageWriterService.cs, IdempotentNotReady: "just drop the write
    // and wait for the client to retry"), which the caller would see as a timeout. Join the first.
    const key = `${stream}\u0000${String(expected)}\u0000${ids.join(',')}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const appending = this.appendWithRetries(stream, ids, wire, expected, bytes).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, appending);
    return appending;
  }

  async read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    return this.withRetries(`read ${stream}`, () => this.readOnce(stream, { fromRevision: options?.fromRevision }));
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const { streamPrefixes, eventTypes } = options.filter ?? {};
    // An empty list matches nothing: no subscription is opened (the server would scan all of $all
    // for nothing). A '' prefix matches every stream on the server, system ones included
    // (EventFilter.cs StreamIdPrefixStrategy, StartsWith): it is sent as "no system events" instead.
    if (streamPrefixes?.length === 0 || eventTypes?.length === 0) return this.track(emptySubscription());
    const prefixes = streamPrefixes?.includes('') ? undefined : streamPrefixes;
    const types = eventTypes ? new Set(eventTypes) : null;

    let pendingCheckpoint: bigint | null = null;
    /** True while an event taken from the client is not yet handed on. */
    let holding = false;
    let closed = false;
    let source: AllStreamSubscription | null = null;
    const onCheckpoint = options.onCheckpoint;
    // The server sends a checkpoint every checkpointInterval x maxSearchWindow events it scanned
    // (Enumerator.AllSubscriptionFiltered.cs), in order with the events: all matching events at or
    // below it were sent before it. Some may still wait in the client's buffer: pass the checkpoint
    // on only once the consumer has been handed them (buffer empty), else when the next event is.
    const checkpointReached = async (_: AllStreamSubscription, position: { commit: bigint }) => {
      if (!onCheckpoint || closed) return;
      if (source && source.readableLength === 0 && !holding) await onCheckpoint(position.commit);
      else pendingCheckpoint = position.commit;
    };
    // A checkpoint every 32 x 32 = 1024 events scanned: a restart rescans at most that many, and a
    // catch-up over a long log writes its consumer's checkpoint once per 1024 events, not per 32.
    const filterOptions = { checkpointReached, checkpointInterval: 32 };
    let filter: Filter;
    // Stream prefixes go to the server; event types too when there is no prefix (one server filter
    // per subscription). Otherwise the server's own default: no system events. Always re-checked here.
    if (prefixes) filter = streamNameFilter({ prefixes, ...filterOptions });
    else if (eventTypes) filter = eventTypeFilter({ regex: `^(?:${eventTypes.map(escapeRegex).join('|')})$`, ...filterOptions });
    else filter = excludeSystemEvents(filterOptions);

    const from = options.from;
    const subscription = this.client.subscribeToAll({
      fromPosition: from === 'start' ? START : { commit: from, prepare: from },
      filter,
      ...LEADER,
    });
    source = subscription;
    const close = async () => {
      if (closed) return;
      closed = true;
      this.subscriptions.delete(result);
      await subscription.unsubscribe().catch(() => undefined);
    };
    const passOnCheckpoint = async (before: bigint | null) => {
      if (pendingCheckpoint === null || !onCheckpoint) return;
      if (before !== null ? pendingCheckpoint >= before : subscription.readableLength > 0) return;
      const position = pendingCheckpoint;
      pendingCheckpoint = null;
      await onCheckpoint(position);
    };
    async function* iterate(): AsyncGenerator<RecordedEvent> {
      const events = (subscription as AsyncIterable<AllStreamResolvedEvent>)[Symbol.asyncIterator]();
      try {
        for (;;) {
          await passOnCheckpoint(null);
          const next = await events.next();
          if (next.done || closed) return;
          const event = toRecorded(next.value);
          if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) continue;
          if (types && !types.has(event.type)) continue;
          if (prefixes && !prefixes.some((p) => event.streamId.startsWith(p))) continue;
          holding = true;
          await passOnCheckpoint(event.position);
          holding = false;
          yield event;
        }
      } catch (error) {
        if (!closed) throw error;
      }
    }
    const result: AllSubscription = {
      close,
      [Symbol.asyncIterator]: () => {
        const generator = iterate();
        return {
          next: () => generator.next(),
          return: async () => {
            await close();
            return generator.return(undefined);
          },
        };
      },
    };
    return this.track(result);
  }

  /** The commit position of the last non-system event in $all (0n when there is none). */
  async headPosition(): Promise<bigint> {
    return this.withRetries('read the head of $all', async () => {
      for await (const resolved of this.client.readAll({
        maxCount: 1,
        direction: BACKWARDS,
        fromPosition: END,
        filter: excludeSystemEvents(),
        ...LEADER,
      })) {
        return toRecorded(resolved)?.position ?? 0n;
      }
      return 0n;
    });
  }

  /**
   * Healthy when the leader acknowledges a write, within healthTimeoutMs. The write is empty: the
   * server still runs it through the leader's commit path (StorageWriterService.cs WritePrepares,
   * `isEmptyWriteToSingleStream`), so this fails when there is no leader or no quorum, or the
   * credentials may not write, which a read would not show. No retry: /health reports now.
   */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.appendToStream(HEALTH_STREAM, [], { streamState: ANY, deadline: this.healthTimeoutMs, ...LEADER }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`KurrentDB: no acknowledged write within ${this.healthTimeoutMs} ms`)),
            this.healthTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  private async appendWithRetries(
    stream: string,
    ids: string[],
    wire: { id: string; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[],
    expected: ExpectedRevision,
    bytes: number,
  ): Promise<AppendResult> {
    const streamState = expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : expected;
    const events = wire.map((e) => jsonEvent(e));
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(retryDelayMs(attempt - 1, this.retry));
      try {
        // Look before every send: the ids may be stored already (a repeated command, a twin in
        // another process, or this append's own earlier attempt that timed out after the server
        // stored it), whatever the server still remembers.
        const compared = compareWithStored(stream, ids, await this.storedNear(stream, expected, ids));
        if (compared.kind === 'already-stored') return compared.result;
        const result = await this.client.appendToStream(stream, events, { streamState, ...LEADER });
        const position = result.position?.commit;
        if (position !== undefined && position >= 0n) return { nextRevision: result.nextExpectedRevision, position };
        // The server acknowledged the ids as already written (its own idempotency) without a
        // position (IndexWriter.cs: logPos -1 while not yet indexed): answer with the stored events.
        const stored = compareWithStored(stream, ids, await this.storedNear(stream, expected, ids));
        if (stored.kind === 'already-stored') return stored.result;
        return { nextRevision: result.nextExpectedRevision, position: -1n };
      } catch (error) {
        if (error instanceof DuplicateEventId) throw error;
        if (!isRetryable(error)) throw translateAppendError(error, stream, expected, bytes, this.maxAppendBytes);
        // The call failed, but the append may be stored (a timeout, a dropped connection): the
        // look before the next attempt finds it, so the retry never writes it twice.
        lastError = error;
      }
    }
    throw new EventStoreUnavailable(`append to ${stream}`, this.retry.attempts, lastError);
  }

  /**
   * The stored events that could be this append: the stream read back from its end to the append's
   * first id. With an expected revision, at most the last LOOK_BACK events (or twice the append):
   * the server itself checks, durably, ids stored AFTER the expected revision (IndexWriter.cs
   * "strong idempotency checks"), so what it misses, ids at or before it, is a retry of something
   * recent, and a repeated command older than that is found by the command handler, which looks in
   * the stream before deciding. With `any` the server checks only a cache a restart empties, so the
   * whole stream back to the first id is read: appends of fixed ids with `any` keep to short
   * streams (a user account's).
   */
  private async storedNear(stream: string, expected: ExpectedRevision, ids: readonly string[]): Promise<RecordedEvent[]> {
    const maxCount = expected === 'any' ? undefined : Math.max(LOOK_BACK, 2 * ids.length);
    return this.readOnce(stream, { backTo: ids[0], maxCount });
  }

  /**
   * One read of a stream, from the leader, in revision order. `backTo`: read backwards from the end
   * until the event with this id (or the start).
   */
  private async readOnce(stream: string, options: { fromRevision?: bigint; maxCount?: number; backTo?: string }): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const backwards = options.backTo !== undefined;
    try {
      for await (const resolved of this.client.readStream(stream, {
        fromRevision: backwards ? END : (options.fromRevision ?? START),
        direction: backwards ? BACKWARDS : FORWARDS,
        ...(options.maxCount ? { maxCount: options.maxCount } : {}),
        ...LEADER,
      })) {
        const event = toRecorded(resolved);
        if (!event) continue;
        events.push(event);
        if (backwards && event.id === options.backTo) break;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      // A tombstoned stream (client utils/convertBridgeError.ts): a typed error, not a bridge one.
      if (error instanceof StreamDeletedError) throw new StreamDeleted(stream);
      throw error;
    }
    return backwards ? events.reverse() : events;
  }

  /** Runs a read, retrying what isRetryable allows; what outlasts the retries is EventStoreUnavailable. */
  private async withRetries<T>(operation: string, read: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(retryDelayMs(attempt - 1, this.retry));
      try {
        return await read();
      } catch (error) {
        if (!isRetryable(error)) throw error;
        lastError = error;
      }
    }
    throw new EventStoreUnavailable(operation, this.retry.attempts, lastError);
  }

  private track(subscription: AllSubscription): AllSubscription {
    this.subscriptions.add(subscription);
    const close = subscription.close;
    subscription.close = async () => {
      this.subscriptions.delete(subscription);
      await close();
    };
    return subscription;
  }
}

/**
 * Correlation and causation go in KurrentDB's reserved metadata names, `$correlationId` and
 * `$causationId`, which its projections ($by_correlation_id) and tools read
 * (server CorrelationIdPropertyContext.cs: `CorrelationIdProperty = "$correlationId"`).
 */
export function toStoredMetadata(metadata: EventMetadata | undefined): Record<string, unknown> {
  const { correlationId, causationId, ...rest } = metadata ?? {};
  return {
    ...rest,
    ...(correlationId !== undefined ? { $correlationId: correlationId } : {}),
    ...(causationId !== undefined ? { $causationId: causationId } : {}),
  };
}

/** The port's metadata from what is stored (events written before the $ names keep their own). */
export function fromStoredMetadata(stored: Record<string, unknown>): EventMetadata {
  const { $correlationId, $causationId, ...rest } = stored;
  return {
    ...rest,
    ...($correlationId !== undefined ? { correlationId: $correlationId as string } : {}),
    ...($causationId !== undefined ? { causationId: $causationId as string } : {}),
  };
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const e = resolved.event;
  if (!e) return null;
  const position = e.position?.commit ?? resolved.commitPosition;
  return {
    id: e.id,
    streamId: e.streamId,
    type: e.type,
    revision: e.revision,
    position: position ?? -1n,
    data: (e.isJson ? e.data : { binary: Buffer.from(e.data as Uint8Array).toString('base64') }) as Record<string, unknown>,
    metadata: fromStoredMetadata((e.metadata && !(e.metadata instanceof Uint8Array) ? e.metadata : {}) as Record<string, unknown>),
    recordedAt: e.created,
  };
}

/** A subscription that matches nothing: yields nothing until closed. */
function emptySubscription(): AllSubscription {
  let wake: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (wake = resolve));
  return {
    close: async () => wake(),
    nextBatch: async () => {
      await closed;
      return null;
    },
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        await closed;
        return { done: true, value: undefined };
      },
      return: async () => {
        wake();
        return { done: true, value: undefined };
      },
    }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
