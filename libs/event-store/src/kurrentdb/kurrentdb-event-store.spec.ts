import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  BACKWARDS,
  DeadlineExceededError,
  NotLeaderError,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendToStreamOptions,
  type EventData as ClientEventData,
  type ReadStreamOptions,
  type SubscribeToAllOptions,
} from '@kurrent/kurrentdb-client';
import { PassThrough } from 'node:stream';
import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';
import { AppendTooLargeError, DuplicateEventId, EventStoreUnavailable, WrongExpectedRevision, type EventData } from '../event-store.port';
import { HEALTH_STREAM, KurrentDbEventStore } from './kurrentdb-event-store';

/**
 * The adapter's own logic (retries, re-read before retrying, idempotency, errors, size guard),
 * against a stand-in for the client's calls that throws the client's own error classes. The same
 * adapter runs against a real server in the contract suite when KURRENTDB_URL is set.
 */
interface Stored {
  id: string;
  type: string;
  revision: bigint;
  position: bigint;
  data: unknown;
  metadata: unknown;
}

class FakeServer {
  readonly streams = new Map<string, Stored[]>();
  readonly calls: { op: string; stream: string; options: unknown }[] = [];
  private nextPosition = 100n;
  subscription: { stream: PassThrough; options: SubscribeToAllOptions } | null = null;
  /** Failures to throw on the next appends, in order; 'stored' ones store the events first. */
  readonly appendFailures: { error: Error; stored?: boolean }[] = [];

  store(stream: string, events: { id: string; type: string; data: unknown; metadata?: unknown }[]): Stored[] {
    const list = this.streams.get(stream) ?? [];
    this.streams.set(stream, list);
    return events.map((e) => {
      const stored = { ...e, metadata: e.metadata ?? {}, revision: BigInt(list.length), position: (this.nextPosition += 10n) };
      list.push(stored);
      return stored;
    });
  }

  client() {
    return {
      appendToStream: async (stream: string, events: ClientEventData[], options: AppendToStreamOptions) => {
        this.calls.push({ op: 'append', stream, options });
        await new Promise((r) => setTimeout(r, 5));
        const failure = this.appendFailures.shift();
        if (failure && !failure.stored) throw failure.error;
        const list = this.streams.get(stream) ?? [];
        const current = list.length === 0 ? 'no_stream' : BigInt(list.length - 1);
        const expected = options.streamState;
        if (expected !== 'any' && expected !== (current === 'no_stream' ? 'no_stream' : current)) {
          throw new WrongExpectedVersionError(undefined, { streamName: stream, expected: expected ?? 'any', current });
        }
        const added = this.store(
          stream,
          events.map((e) => ({ id: e.id!, type: e.type, data: e.data, metadata: e.metadata })),
        );
        if (failure) throw failure.error;
        const last = added[added.length - 1];
        return {
          success: true,
          nextExpectedRevision: last?.revision ?? -1n,
          position: last ? { commit: last.position, prepare: last.position } : undefined,
        };
      },
      readStream: (stream: string, options: ReadStreamOptions) => {
        this.calls.push({ op: 'read', stream, options });
        const list = this.streams.get(stream);
        return (async function* () {
          if (!list) throw new StreamNotFoundError(undefined, stream);
          const ordered =
            options.direction === BACKWARDS
              ? [...list].reverse()
              : list.filter((e) => options.fromRevision === START || e.revision >= (options.fromRevision as bigint));
          const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
          for (const e of ordered.slice(0, max)) {
            yield {
              event: {
                id: e.id,
                streamId: stream,
                type: e.type,
                revision: e.revision,
                position: { commit: e.position, prepare: e.position },
                isJson: true,
                data: e.data,
                metadata: e.metadata,
                created: new Date(0),
              },
            };
          }
        })();
      },
      subscribeToAll: (options: SubscribeToAllOptions) => {
        this.calls.push({ op: 'subscribe', stream: '$all', options });
        // The client's subscription is an object-mode stream the server's events are written to.
        const subscription = Object.assign(new PassThrough({ objectMode: true }), {
          unsubscribe: async () => void subscription.end(),
        });
        this.subscription = { stream: subscription, options };
        return subscription;
      },
      dispose: async () => undefined,
    };
  }
}

function serviceError(code: status, entries: Record<string, string> = {}): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return Object.assign(new Error(`${code} from the server`), { code, details: 'from the server', metadata });
}

const notLeader = () =>
  new NotLeaderError(
    serviceError(status.UNKNOWN, { exception: 'not-leader', 'leader-endpoint-host': 'b', 'leader-endpoint-port': '2113' }),
  );
const deadline = () => new DeadlineExceededError(serviceError(status.DEADLINE_EXCEEDED));
const NAMESPACE = '5b0f6a0e-8f7c-4c1e-9d59-3f1e0b3c2a71';
const fixedId = (name: string) => uuidv5(name, NAMESPACE);
const ev = (id = uuidv4(), type = 'Happened'): EventData => ({
  id,
  type,
  data: { n: 1 },
  metadata: { correlationId: 'corr-1', causationId: 'cause-1', actor: { id: 'u', role: 'officer' } },
});

describe('KurrentDbEventStore (against a stand-in for the client)', () => {
  let server: FakeServer;
  let store: KurrentDbEventStore;

  beforeEach(() => {
    server = new FakeServer();
    store = new KurrentDbEventStore({
      url: 'kurrentdb://127.0.0.1:1?tls=false',
      retry: { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 },
      maxAppendBytes: 4096,
    });
    void (store as unknown as { client: { dispose(): Promise<void> } }).client.dispose();
    (store as unknown as { client: unknown }).client = server.client();
  });
  afterEach(() => store.close());

  const appends = () => server.calls.filter((c) => c.op === 'append');

  it('sends every append and read to the leader', async () => {
    await store.append('s', [ev()], { expectedRevision: 'no_stream' });
    await store.read('s');
    expect(server.calls.length).toBeGreaterThan(1);
    for (const call of server.calls) expect(call.options).toMatchObject({ requiresLeader: true });
  });

  it('re-appending the same ids at the current revision is a no-op with the original result (the server would write them again)', async () => {
    const events = [ev(), ev()];
    const first = await store.append('s', events, { expectedRevision: 'no_stream' });
    const again = await store.append('s', events, { expectedRevision: 1n });
    expect(again).toMatchObject({ nextRevision: first.nextRevision, position: first.position });
    expect(again.events?.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(server.streams.get('s')).toHaveLength(2);
    expect(appends()).toHaveLength(1);
  });

  it("re-appending fixed ids with 'any' finds them however far back (the server only looks in a cache a restart empties)", async () => {
    const registered = ev(fixedId('user-registered'));
    await store.append('user-x', [registered], { expectedRevision: 'any' });
    await store.append('user-x', [ev(), ev()], { expectedRevision: 'any' });
    const again = await store.append('user-x', [registered], { expectedRevision: 'any' });
    expect(again).toMatchObject({ nextRevision: 0n });
    expect(server.streams.get('user-x')).toHaveLength(3);
  });

  it('a retry after later appends is a no-op whatever revision it expects', async () => {
    const a = ev();
    const first = await store.append('s', [a], { expectedRevision: 'no_stream' });
    await store.append('s', [ev()], { expectedRevision: 0n });
    for (const expectedRevision of ['no_stream' as const, 0n, 1n, 'any' as const]) {
      await expect(store.append('s', [a], { expectedRevision })).resolves.toMatchObject({ nextRevision: 0n, position: first.position });
    }
    expect(server.streams.get('s')).toHaveLength(2);
    // It looks at the stream's last events: a bounded read with a revision, back to the id with 'any'.
    const looks = server.calls.filter((c) => c.op === 'read').map((c) => (c.options as ReadStreamOptions).maxCount);
    expect(looks.slice(-4)).toEqual([32, 32, 32, undefined]);
  });

  it('refuses a partial overlap as DuplicateEventId, as the SQLite adapter does', async () => {
    await store.append('s', [ev(fixedId('a')), ev(fixedId('b'))], { expectedRevision: 'no_stream' });
    await expect(store.append('s', [ev(fixedId('b')), ev(fixedId('c'))], { expectedRevision: 1n })).rejects.toBeInstanceOf(
      DuplicateEventId,
    );
    expect(server.streams.get('s')).toHaveLength(2);
  });

  it('after a deadline, reads back before retrying: an append the server stored is answered, not written twice', async () => {
    server.appendFailures.push({ error: deadline(), stored: true });
    const events = [ev(), ev()];
    const result = await store.append('s', events, { expectedRevision: 'no_stream' });
    const stored = server.streams.get('s')!;
    expect(stored.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(result).toMatchObject({ nextRevision: 1n, position: stored[1].position });
    expect(appends()).toHaveLength(1);
  });

  it('retries NotLeader and Unavailable with backoff, then appends once', async () => {
    server.appendFailures.push({ error: notLeader() }, { error: new UnavailableError(serviceError(status.UNAVAILABLE)) });
    await expect(store.append('s', [ev()], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextRevision: 0n });
    expect(appends()).toHaveLength(3);
    expect(server.streams.get('s')).toHaveLength(1);
  });

  it('reports EventStoreUnavailable once the retries are spent', async () => {
    for (let i = 0; i < 4; i++) server.appendFailures.push({ error: deadline() });
    const error = await store.append('s', [ev()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailable);
    expect(error).toMatchObject({ attempts: 4 });
    expect((error as EventStoreUnavailable).cause).toBeInstanceOf(DeadlineExceededError);
    expect(appends()).toHaveLength(4);
  });

  it('translates a wrong expected version at once, without retrying', async () => {
    await store.append('s', [ev(), ev()], { expectedRevision: 'no_stream' });
    await expect(store.append('s', [ev()], { expectedRevision: 0n })).rejects.toEqual(new WrongExpectedRevision('s', 0n, 1n));
    expect(appends()).toHaveLength(2);
  });

  it('joins an identical append already in flight (a double submit) instead of sending it twice', async () => {
    const events = [ev(fixedId('x')), ev(fixedId('y'))];
    const results = await Promise.all(Array.from({ length: 5 }, () => store.append('s', events, { expectedRevision: 'no_stream' })));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(appends()).toHaveLength(1);
  });

  it('refuses an append over the size limit before sending it', async () => {
    const big: EventData = { id: uuidv4(), type: 'Big', data: { text: 'x'.repeat(5000) } };
    const error = await store.append('s', [big], { expectedRevision: 'any' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppendTooLargeError);
    expect(error).toMatchObject({ stream: 's', limit: 4096 });
    expect((error as AppendTooLargeError).bytes).toBeGreaterThan(5000);
    expect(appends()).toHaveLength(0);
  });

  it("writes correlation and causation in KurrentDB's $correlationId / $causationId, and reads them back", async () => {
    await store.append('s', [ev()], { expectedRevision: 'no_stream' });
    expect(server.streams.get('s')![0].metadata).toEqual({
      $correlationId: 'corr-1',
      $causationId: 'cause-1',
      actor: { id: 'u', role: 'officer' },
    });
    const [read] = await store.read('s');
    expect(read.metadata).toEqual({ correlationId: 'corr-1', causationId: 'cause-1', actor: { id: 'u', role: 'officer' } });
  });

  it('health: an empty append to the leader, nothing written', async () => {
    await store.ping();
    expect(server.calls).toEqual([
      { op: 'append', stream: HEALTH_STREAM, options: expect.objectContaining({ requiresLeader: true, deadline: 1500 }) },
    ]);
  });

  it('an empty filter opens no subscription and yields nothing until closed', async () => {
    const sub = store.subscribeToAll({ from: 'start', filter: { streamPrefixes: [] } });
    const next = sub[Symbol.asyncIterator]().next();
    await sub.close();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    expect(server.calls).toHaveLength(0);
  });

  describe('subscribeToAll', () => {
    const resolved = (position: bigint, streamId = 'thing-1') => ({
      event: {
        id: uuidv4(),
        streamId,
        type: 'Happened',
        revision: 0n,
        position: { commit: position, prepare: position },
        isJson: true,
        data: {},
        metadata: {},
        created: new Date(0),
      },
    });
    const reachCheckpoint = (position: bigint) => {
      const { stream, options } = server.subscription!;
      return options.filter!.checkpointReached!(stream as never, { commit: position, prepare: position });
    };

    it('subscribes on the leader with the prefixes on the server; an empty prefix means every non-system event', () => {
      store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['thing-'] } });
      expect(server.subscription!.options).toMatchObject({
        requiresLeader: true,
        filter: { filterOn: 'streamName', prefixes: ['thing-'] },
      });
      store.subscribeToAll({ from: 5n, filter: { streamPrefixes: [''] } });
      expect(server.subscription!.options).toMatchObject({
        fromPosition: { commit: 5n, prepare: 5n },
        filter: { filterOn: 'eventType', regex: '^[^$].*' },
      });
    });

    it("passes the server's checkpoint on only once every event sent before it is handed over", async () => {
      const reported: bigint[] = [];
      const sub = store.subscribeToAll({
        from: 'start',
        filter: { streamPrefixes: ['thing-'] },
        onCheckpoint: (p) => void reported.push(p),
      });
      const events = sub[Symbol.asyncIterator]();
      server.subscription!.stream.write(resolved(10n));
      await reachCheckpoint(500n); // the event at 10 still waits in the client's buffer
      expect(reported).toEqual([]);
      await expect(events.next()).resolves.toMatchObject({ value: { position: 10n } });
      expect(reported).toEqual([]); // handed over, maybe not handled: the consumer asks for more when it is
      const waiting = events.next();
      await until(() => reported.length > 0);
      expect(reported).toEqual([500n]);
      await reachCheckpoint(900n); // nothing buffered: at once
      expect(reported).toEqual([500n, 900n]);
      await sub.close();
      await expect(waiting).resolves.toMatchObject({ done: true });
    });

    it('passes a pending checkpoint on before the first event after it', async () => {
      const order: string[] = [];
      const sub = store.subscribeToAll({
        from: 'start',
        filter: { streamPrefixes: ['thing-'] },
        onCheckpoint: (p) => void order.push(`checkpoint ${p}`),
      });
      const stream = server.subscription!.stream;
      stream.write(resolved(10n));
      await reachCheckpoint(500n);
      stream.write(resolved(600n));
      for await (const event of sub) {
        order.push(`event ${event.position}`);
        if (event.position === 600n) break;
      }
      expect(order).toEqual(['event 10', 'checkpoint 500', 'event 600']);
    });
  });
});

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('KurrentDbEventStore with the real client and no server', () => {
  it('fails ping at once, and reports reads and appends as EventStoreUnavailable after its retries', async () => {
    // Port 1 refuses connections: the client's own UnavailableError, from gRPC and from the bridge.
    const store = new KurrentDbEventStore({
      url: 'kurrentdb://127.0.0.1:1',
      tls: false,
      deadlineMs: 1000,
      username: 'send-app',
      password: 'not-a-real-password',
      retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
    });
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
      await expect(store.read('s')).rejects.toMatchObject({
        name: 'EventStoreUnavailable',
        attempts: 2,
        cause: expect.any(UnavailableError),
      });
      const error = await store.append('s', [ev()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailable);
      expect(String((error as Error).message)).not.toContain('not-a-real-password');
    } finally {
      await store.close();
    }
  }, 20_000);
});
