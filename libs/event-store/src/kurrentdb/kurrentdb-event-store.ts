import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Filter,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  WrongExpectedRevision,
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

/**
 * The production EventStore: KurrentDB through the official client.
 *
 * Positions: our bigint position is KurrentDB's COMMIT position of the event in the transaction
 * log. It increases strictly along $all, which is all a checkpoint needs. Resuming from it we pass
 * `{ commit: p, prepare: p }`; KurrentDB's fromPosition is exclusive, like our `from`. (For events
 * appended through the gRPC API, commit and prepare positions coincide.)
 *
 * Idempotency is KurrentDB's own: re-appending the same event ids at the same expected revision
 * is acknowledged without writing, within the server's idempotency window (its recent-writes
 * cache); with 'any' it is best effort. Event ids are not checked for uniqueness across streams.
 *
 * Filters: stream prefixes go to the server (streamNameFilter); event types go to the server as an
 * exact-match regex when no prefix is given, and are always re-checked here. System events ($...)
 * are never delivered.
 */
export interface KurrentDbEventStoreOptions {
  /** A KurrentDB connection string, e.g. kurrentdb://localhost:2113?tls=false */
  url: string;
}

export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly subscriptions = new Set<AllSubscription>();

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = KurrentDBClient.connectionString(options.url);
  }

  async append(stream: string, events: EventData[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) throw new TypeError(`append to ${stream}: no events to append`);
    const expected = options.expectedRevision;
    const streamState = expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : expected;
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((e) =>
          jsonEvent({ id: e.id, type: e.type, data: e.data as Record<string, unknown>, metadata: (e.metadata ?? {}) as Record<string, unknown> }),
        ),
        { streamState },
      );
      let position = result.position?.commit;
      if (position === undefined) {
        // An idempotent (no-op) append may come back without a position: take the stored event's.
        const [last] = await this.readRaw(stream, { fromRevision: result.nextExpectedRevision, maxCount: 1 });
        position = last?.position ?? -1n;
      }
      return { nextRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualState;
        throw new WrongExpectedRevision(stream, expected, typeof actual === 'bigint' ? actual : 'no_stream');
      }
      throw error;
    }
  }

  read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    return this.readRaw(stream, { fromRevision: options?.fromRevision });
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const { streamPrefixes, eventTypes } = options.filter ?? {};
    let filter: Filter;
    if (streamPrefixes) filter = streamNameFilter({ prefixes: streamPrefixes.length ? streamPrefixes : ['\u0000'] });
    else if (eventTypes) filter = eventTypeFilter({ regex: `^(?:${eventTypes.map(escapeRegex).join('|') || '(?!)'})$` });
    else filter = excludeSystemEvents();
    const types = eventTypes ? new Set(eventTypes) : null;

    const from = options.from;
    const subscription = this.client.subscribeToAll({
      fromPosition: from === 'start' ? START : { commit: from, prepare: from },
      filter,
    });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      this.subscriptions.delete(result);
      await subscription.unsubscribe().catch(() => undefined);
    };
    async function* iterate(): AsyncGenerator<RecordedEvent> {
      try {
        for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
          if (closed) return;
          const event = toRecorded(resolved);
          if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) continue;
          if (types && !types.has(event.type)) continue;
          if (streamPrefixes && !streamPrefixes.some((p) => event.streamId.startsWith(p))) continue;
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
    this.subscriptions.add(result);
    return result;
  }

  /** The commit position of the last non-system event in $all (0n when there is none). */
  async headPosition(): Promise<bigint> {
    for await (const resolved of this.client.readAll({ maxCount: 1, direction: BACKWARDS, fromPosition: END, filter: excludeSystemEvents() })) {
      return toRecorded(resolved)?.position ?? 0n;
    }
    return 0n;
  }

  async ping(): Promise<void> {
    for await (const _ of this.client.readAll({ maxCount: 1, direction: BACKWARDS, fromPosition: END })) break;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  private async readRaw(stream: string, options: { fromRevision?: bigint; maxCount?: number }): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        fromRevision: options.fromRevision ?? START,
        direction: FORWARDS,
        ...(options.maxCount ? { maxCount: options.maxCount } : {}),
      })) {
        const event = toRecorded(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
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
    metadata: (e.metadata && !(e.metadata instanceof Uint8Array) ? e.metadata : {}) as EventMetadata,
    recordedAt: e.created,
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
