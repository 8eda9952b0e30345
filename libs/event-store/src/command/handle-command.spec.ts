import { validate as isUuid, version as uuidVersion } from 'uuid';
import { WrongExpectedRevision, type EventStore } from '../event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import { ConcurrencyConflict, DeciderCommandHandler, eventIdsFor, newEventId, type Decider, type HandleOptions } from './handle-command';

type Command = { type: 'Open'; owner: string } | { type: 'Add'; amount: number } | { type: 'Nothing' };
type Event = { type: 'Opened'; data: { owner: string } } | { type: 'Added'; data: { amount: number } };
type State = { open: boolean; total: number };

class AlreadyOpen extends Error {}
class NotOpen extends Error {}

const tally: Decider<Command, Event, State, { now: Date }> = {
  initialState: { open: false, total: 0 },
  decide: (command, state) => {
    switch (command.type) {
      case 'Open':
        if (state.open) throw new AlreadyOpen('already open');
        return [{ type: 'Opened', data: { owner: command.owner } }];
      case 'Add':
        if (!state.open) throw new NotOpen('not open');
        return [
          { type: 'Added', data: { amount: command.amount } },
          { type: 'Added', data: { amount: 0 } },
        ];
      case 'Nothing':
        return [];
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true };
      case 'Added':
        return { ...state, total: state.total + event.data.amount };
    }
  },
};

const ctx = { now: new Date('2026-12-24T16:30:00Z') };

describe.each([
  ['cold (every command reads its stream)', 0],
  ['kept (recent streams folded in memory)', 100],
])('DeciderCommandHandler, %s', (_name, cacheSize) => {
  let store: SqliteEventStore;
  let handler: DeciderCommandHandler<Command, Event, State, { now: Date }>;
  const handlerFor = (s: EventStore) =>
    new DeciderCommandHandler({ store: s, decider: tally, streamIdFor: (id) => `tally-${id}`, cacheSize });
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    handler = handlerFor(store);
  });
  afterEach(() => store.close());

  const run = (command: Command, extra: HandleOptions & { via?: DeciderCommandHandler<Command, Event, State, { now: Date }> } = {}) =>
    (extra.via ?? handler).handle('1', command, ctx, { metadata: { correlationId: 'corr-1' }, ...extra });

  it('appends what decide returns to a new stream and returns the recorded events and state', async () => {
    const result = await run({ type: 'Open', owner: 'ann' });
    expect(result.events.map((e) => [e.type, e.data, e.revision])).toEqual([['Opened', { owner: 'ann' }, 0n]]);
    expect(result.events[0].metadata).toMatchObject({ correlationId: 'corr-1' });
    expect(result.state).toEqual({ open: true, total: 0 });
    expect(result.nextRevision).toBe(0n);
    expect(result.position).toBe(result.events[0].position);
  });

  it('tells `decided` of a decision before its append, with the state it was made on; not of one that appends nothing', async () => {
    await run({ type: 'Open', owner: 'ann' });
    const told: Array<{ types: string[]; state: unknown; storedThen: number }> = [];
    const decided = (events: readonly { type: string }[], state: unknown) =>
      void store.read('tally-1').then((stored) => told.push({ types: events.map((e) => e.type), state, storedThen: stored.length }));
    await run({ type: 'Add', amount: 5 }, { decided });
    await run({ type: 'Nothing' }, { decided });
    await new Promise((r) => setImmediate(r));
    expect(told).toEqual([{ types: ['Added', 'Added'], state: { open: true, total: 0 }, storedThen: 1 }]);
  });

  it('decides on the state folded from the stream', async () => {
    await run({ type: 'Open', owner: 'ann' });
    await run({ type: 'Add', amount: 5 });
    const result = await run({ type: 'Add', amount: 2 });
    expect(result.state).toEqual({ open: true, total: 7 });
    expect(result.nextRevision).toBe(4n);
    await expect(run({ type: 'Open', owner: 'bob' })).rejects.toBeInstanceOf(AlreadyOpen);
  });

  it('appends nothing when decide returns nothing', async () => {
    await run({ type: 'Open', owner: 'ann' });
    const result = await run({ type: 'Nothing' });
    expect(result).toMatchObject({ events: [], nextRevision: 0n, state: { open: true, total: 0 } });
    expect(await store.read('tally-1')).toHaveLength(1);
  });

  it('catches up and decides again when the stream moved under it', async () => {
    await run({ type: 'Open', owner: 'ann' });
    let interfered = false;
    const racing: EventStore = Object.create(store);
    racing.read = async (s, o) => {
      const events = await store.read(s, o);
      if (!interfered) {
        interfered = true;
        await store.append(s, [{ id: 'a0f7b0a2-0000-4000-8000-000000000001', type: 'Added', data: { amount: 100 } }], {
          expectedRevision: 'any',
        });
      }
      return events;
    };
    const decide = jest.spyOn(tally, 'decide');
    const result = await run({ type: 'Add', amount: 1 }, { via: handlerFor(racing) });
    expect(decide).toHaveBeenCalledTimes(2);
    decide.mockRestore();
    expect(result.state.total).toBe(101);
    expect(result.nextRevision).toBe(3n);
  });

  it('gives up with ConcurrencyConflict after 3 retries', async () => {
    const always: EventStore = Object.create(store);
    always.append = async (s) => {
      throw new WrongExpectedRevision(s, 'no_stream', 0n);
    };
    const decide = jest.spyOn(tally, 'decide');
    const error = await run({ type: 'Open', owner: 'ann' }, { via: handlerFor(always) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyConflict);
    expect(error).toMatchObject({ streamId: 'tally-1', attempts: 4 });
    expect(decide).toHaveBeenCalledTimes(4);
    decide.mockRestore();
  });

  it('decides right on a stream another writer changed since it was last used', async () => {
    await run({ type: 'Open', owner: 'ann' });
    await run({ type: 'Add', amount: 1 });
    // Another api process (same store, its own handler) appends twice.
    const other = handlerFor(store);
    await run({ type: 'Add', amount: 10 }, { via: other });
    await run({ type: 'Add', amount: 100 }, { via: other });
    const result = await run({ type: 'Add', amount: 1000 });
    expect(result.state.total).toBe(1111);
    expect(result.nextRevision).toBe(8n);
    expect(await store.read('tally-1')).toHaveLength(9);
  });

  it('never refuses on a stale state: a refusal is checked against the stream as it is now', async () => {
    await expect(run({ type: 'Add', amount: 1 })).rejects.toBeInstanceOf(NotOpen); // the handler now knows "no stream"
    await run({ type: 'Open', owner: 'bob' }, { via: handlerFor(store) }); // another process opens it
    const result = await run({ type: 'Add', amount: 2 });
    expect(result.state).toEqual({ open: true, total: 2 });
  });

  describe('with an idempotency key', () => {
    const ids = eventIdsFor('key-123', 'tally-1');

    it('appends once and returns the first result when the same request comes twice', async () => {
      const first = await run({ type: 'Open', owner: 'ann' }, { eventIds: ids });
      // The second Open would be refused (AlreadyOpen): it must not even be decided.
      const second = await run({ type: 'Open', owner: 'ann' }, { eventIds: ids });
      expect(second.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
      expect(second).toMatchObject({ nextRevision: first.nextRevision, position: first.position, state: first.state });
      expect(await store.read('tally-1')).toHaveLength(1);
    });

    it('returns the first result even after the stream moved on', async () => {
      await run({ type: 'Open', owner: 'ann' });
      const first = await run({ type: 'Add', amount: 3 }, { eventIds: ids });
      await run({ type: 'Add', amount: 4 });
      const again = await run({ type: 'Add', amount: 3 }, { eventIds: ids });
      expect(again.events.map((e) => e.id)).toEqual([ids(0), ids(1)]);
      expect(again).toMatchObject({ nextRevision: first.nextRevision, position: first.position, state: { total: 3 } });
      expect(await store.read('tally-1')).toHaveLength(5);
    });

    it('returns the first result when the first try went through another process', async () => {
      await run({ type: 'Open', owner: 'ann' });
      const first = await run({ type: 'Add', amount: 3 }, { eventIds: ids, via: handlerFor(store) });
      const again = await run({ type: 'Add', amount: 3 }, { eventIds: ids });
      expect(again.events.map((e) => e.id)).toEqual([ids(0), ids(1)]);
      expect(again).toMatchObject({ nextRevision: first.nextRevision, state: { total: 3 } });
      expect(await store.read('tally-1')).toHaveLength(3);
    });

    it('finds a first try further back than the ids it keeps', async () => {
      await run({ type: 'Open', owner: 'ann' });
      const first = await run({ type: 'Add', amount: 3 }, { eventIds: ids });
      for (let i = 0; i < 40; i++) await run({ type: 'Add', amount: 1 });
      const again = await run({ type: 'Add', amount: 3 }, { eventIds: ids });
      expect(again).toMatchObject({ nextRevision: first.nextRevision, state: { total: 3 } });
      expect(await store.read('tally-1')).toHaveLength(83);
    });

    it('appends once when the same request races with itself', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => run({ type: 'Open', owner: 'ann' }, { eventIds: ids })));
      expect(await store.read('tally-1')).toHaveLength(1);
      for (const r of results) expect(r).toMatchObject({ nextRevision: 0n, position: results[0].position, state: { open: true } });
    });
  });
});

describe('DeciderCommandHandler keeping streams', () => {
  it('decides a command on a kept stream without reading it', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const handler = new DeciderCommandHandler({ store, decider: tally, streamIdFor: (id) => `tally-${id}`, cacheSize: 10 });
    await handler.handle('1', { type: 'Open', owner: 'ann' }, ctx);
    for (let i = 0; i < 50; i++) await handler.handle('1', { type: 'Add', amount: 1 }, ctx);
    const read = jest.spyOn(store, 'read');
    const result = await handler.handle('1', { type: 'Add', amount: 1 }, ctx);
    expect(read).not.toHaveBeenCalled();
    expect(result.state.total).toBe(51);
    await store.close();
  });

  it('reads a long stream once for an idempotent command, kept state or not', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    for (const cacheSize of [0, 10]) {
      const handler = new DeciderCommandHandler({ store, decider: tally, streamIdFor: (id) => `tally-${cacheSize}-${id}`, cacheSize });
      await handler.handle('1', { type: 'Open', owner: 'ann' }, ctx);
      for (let i = 0; i < 40; i++) await handler.handle('1', { type: 'Add', amount: 1 }, ctx);
      const read = jest.spyOn(store, 'read');
      await handler.handle('1', { type: 'Add', amount: 1 }, ctx, { eventIds: eventIdsFor(`k-${cacheSize}`, 's') });
      expect(read).toHaveBeenCalledTimes(1);
      read.mockRestore();
    }
    await store.close();
  });

  it('reads only the events after what it kept when another writer moved the stream', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const handler = new DeciderCommandHandler({ store, decider: tally, streamIdFor: (id) => `tally-${id}`, cacheSize: 10 });
    await handler.handle('1', { type: 'Open', owner: 'ann' }, ctx);
    await store.append('tally-1', [{ id: 'a0f7b0a2-0000-4000-8000-000000000002', type: 'Added', data: { amount: 5 } }], {
      expectedRevision: 'any',
    });
    const read = jest.spyOn(store, 'read');
    const result = await handler.handle('1', { type: 'Add', amount: 1 }, ctx);
    expect(read.mock.calls).toEqual([['tally-1', { fromRevision: 1n }]]);
    expect(result.state.total).toBe(6);
    await store.close();
  });
});

describe('newEventId', () => {
  it("gives UUIDs in the order they were made, so appends land on the last page of the store's id index", () => {
    const ids = Array.from({ length: 1_000 }, () => newEventId());
    expect(ids.every(isUuid)).toBe(true);
    expect(uuidVersion(ids[0]!)).toBe(7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('is what the handler gives the events of a command without an idempotency key', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const handler = new DeciderCommandHandler({ store, decider: tally, streamIdFor: (id) => `tally-${id}` });
    await handler.handle('1', { type: 'Open', owner: 'ann' }, ctx);
    for (let i = 0; i < 10; i++) await handler.handle('1', { type: 'Add', amount: i }, ctx);
    const ids = (await store.read('tally-1')).map((e) => e.id);
    expect(ids).toHaveLength(21);
    expect(ids.map((id) => uuidVersion(id))).toEqual(ids.map(() => 7));
    expect([...ids].sort()).toEqual(ids);
    await store.close();
  });
});

describe('eventIdsFor', () => {
  it('gives the same UUIDs for the same key, scope and index, and different ones otherwise', () => {
    const a = eventIdsFor('k', 'contact-request-1');
    expect(a(0)).toBe(eventIdsFor('k', 'contact-request-1')(0));
    expect(isUuid(a(0))).toBe(true);
    expect(new Set([a(0), a(1), eventIdsFor('k2', 'contact-request-1')(0), eventIdsFor('k', 'contact-request-2')(0)]).size).toBe(4);
  });
});

/**
 * One idempotent request sent to two api processes at once, each with its own kept state of the
 * stream, of different ages: the one that goes second must answer with the first one's result,
 * whatever its own (stale) state would have decided.
 */
describe('DeciderCommandHandler, twins of one idempotent command in two processes', () => {
  type PayCommand = { type: 'Add'; amount: number } | { type: 'Pay' };
  type PayEvent =
    | { type: 'Added'; data: { amount: number } }
    | { type: 'Paid'; data: Record<string, never> }
    | { type: 'BonusPaid'; data: Record<string, never> };
  /** Paying at 10 or more pays a bonus too: the same command decides one or two events, by state. */
  const payroll: Decider<PayCommand, PayEvent, { total: number; paid: number; bonus: boolean }> = {
    initialState: { total: 0, paid: 0, bonus: false },
    decide: (command, state) =>
      command.type === 'Add'
        ? [{ type: 'Added', data: { amount: command.amount } }]
        : [{ type: 'Paid', data: {} }, ...(state.total >= 10 ? [{ type: 'BonusPaid' as const, data: {} }] : [])],
    evolve: (state, event) =>
      event.type === 'Added'
        ? { ...state, total: state.total + event.data.amount }
        : event.type === 'Paid'
          ? { ...state, paid: state.paid + 1 }
          : { ...state, bonus: true },
  };
  let store: SqliteEventStore;
  const processes = () =>
    [0, 1].map(() => new DeciderCommandHandler({ store, decider: payroll, streamIdFor: (id) => `pay-${id}`, cacheSize: 10 }));
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());

  it('answers with the first try (two events) when its own stale state decides one', async () => {
    const [first, second] = processes();
    await second.handle('1', { type: 'Add', amount: 5 }, {}); // the second process keeps total 5
    await first.handle('1', { type: 'Add', amount: 5 }, {}); // the first reads total 10
    const ids = eventIdsFor('key-1', 'pay-1');
    const firstTry = await first.handle('1', { type: 'Pay' }, {}, { eventIds: ids });
    expect(firstTry.events.map((e) => e.type)).toEqual(['Paid', 'BonusPaid']);
    const twin = await second.handle('1', { type: 'Pay' }, {}, { eventIds: ids });
    expect(twin.events.map((e) => e.id)).toEqual(firstTry.events.map((e) => e.id));
    expect(twin).toMatchObject({ state: { total: 10, paid: 1, bonus: true }, nextRevision: firstTry.nextRevision });
    expect(await store.read('pay-1')).toHaveLength(4);
  });

  it('answers with the first try (one event) when its own stale state decides two', async () => {
    const [first, second] = processes();
    await second.handle('1', { type: 'Add', amount: 10 }, {}); // the second process keeps total 10
    await first.handle('1', { type: 'Add', amount: -5 }, {}); // the first reads total 5
    const ids = eventIdsFor('key-2', 'pay-1');
    const firstTry = await first.handle('1', { type: 'Pay' }, {}, { eventIds: ids });
    expect(firstTry.events.map((e) => e.type)).toEqual(['Paid']);
    const twin = await second.handle('1', { type: 'Pay' }, {}, { eventIds: ids });
    expect(twin.events.map((e) => e.id)).toEqual(firstTry.events.map((e) => e.id));
    expect(twin).toMatchObject({ state: { total: 5, paid: 1, bonus: false }, nextRevision: firstTry.nextRevision });
    expect(await store.read('pay-1')).toHaveLength(3);
  });
});
