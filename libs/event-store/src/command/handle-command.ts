import { LRUCache } from 'lru-cache';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import {
  DuplicateEventId,
  WrongExpectedRevision,
  type EventData,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
} from '../event-store.port';

/** A domain event as the decider sees it: a type and its data, no storage details. */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
}

/**
 * The decider pattern (DESIGN.md, "Domain model"): rules in decide, facts in evolve. The handler
 * hands evolve the events as stored (a RecordedEvent is a `{ type, data }` with more beside), so an
 * evolve that upcasts can read older schema versions and the envelope's recordedAt.
 */
export interface Decider<TCommand, TEvent extends DomainEvent, TState, TCtx = unknown> {
  decide(command: TCommand, state: TState, ctx: TCtx): TEvent[];
  evolve(state: TState, event: TEvent): TState;
  initialState: TState;
}

export interface HandleOptions {
  /**
   * Deterministic ids for the events decided (see eventIdsFor). With them, a command sent twice
   * appends once and the second call returns the first call's result without deciding again.
   * Without them, each is a new time-ordered id (newEventId).
   */
  eventIds?: (index: number) => string;
  /** Metadata stored on every event appended (correlationId, causationId, actor, idempotencyKey). */
  metadata?: EventMetadata;
  /**
   * Runs on the state just before each decision (e.g. "may this caller act on it?"); throw to
   * refuse. Like a refusal by decide, a refusal on a kept state is checked again on a fresh one.
   */
  guard?: (state: unknown) => void;
  /**
   * Told of each decision that appends, just before its append, with the state it was made on: to
   * start work the answer will need while the append commits (the api looks up who an escalation
   * alerts). Called again if a conflict makes the command decide again. Must not throw.
   */
  decided?: (events: readonly DomainEvent[], state: unknown) => void;
}

export interface HandleCommandResult<TEvent extends DomainEvent, TState> {
  /** The events this command recorded (or, for a repeated idempotent command, recorded the first time). */
  events: RecordedEvent<TEvent['data'] & Record<string, unknown>>[];
  /** The state after those events. */
  state: TState;
  /** Revision of the last event of the stream after the command; -1n when the stream is still empty. */
  nextRevision: bigint;
  /** Position of the last event recorded; when nothing was appended, of the stream's last event; null if none. */
  position: bigint | null;
}

/**
 * The optimistic-concurrency retries ran out: the stream kept changing under us. The API maps it
 * to 409 Conflict: the client may retry the request.
 */
export class ConcurrencyConflict extends Error {
  override readonly name = 'ConcurrencyConflict';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
    override readonly cause?: unknown,
  ) {
    super(`Stream ${streamId} changed during each of ${attempts} attempts to apply the command; retry the request`);
  }
}

/**
 * A new event's id when no Idempotency-Key fixes it: a UUID v7, ordered by the time it was made
 * (and, within a millisecond, by a counter). Each store keeps a unique index of event ids; random v4
 * ids put every append on a random page of that index, which SQLite reads back, writes to its WAL
 * and copies at the next checkpoint. Ordered ids append to its last page, shared by a whole group
 * commit (ADR 0027: the SQLite writer's system calls per attempt nearly halved).
 */
export const newEventId = (): string => uuidv7();

/** A fixed namespace so the same (key, scope, index) gives the same UUID in every process, forever. */
export const EVENT_ID_NAMESPACE = '5b0f6a0e-8f7c-4c1e-9d59-3f1e0b3c2a71';

/**
 * Deterministic event ids for an Idempotency-Key: UUID v5 of (scope, key, index). Use the stream
 * id as the scope (add the command type if one key may legitimately drive several commands on the
 * same stream). The same request twice yields the same ids, so it appends once.
 */
export function eventIdsFor(idempotencyKey: string, scope: string): (index: number) => string {
  return (index) => uuidv5(`${scope}\u0000${idempotencyKey}\u0000${index}`, EVENT_ID_NAMESPACE);
}

export interface DeciderCommandHandlerOptions<TCommand, TEvent extends DomainEvent, TState, TCtx> {
  store: EventStore;
  decider: Decider<TCommand, TEvent, TState, TCtx>;
  /** The stream an aggregate id lives in (e.g. the domain's streamIdFor). */
  streamIdFor: (id: string) => string;
  /**
   * How many recently used streams to keep folded in memory (0: none, every command reads its
   * stream). A kept state is only a guess: the append's expected revision checks it, and a wrong
   * guess costs one read of the events after it, never a wrong decision (ADR 0003).
   */
  cacheSize?: number;
  /** Retries after a WrongExpectedRevision (catch up, redecide). Default 3. */
  maxRetries?: number;
}

/** What the handler knows of a stream: its state folded to `revision`, and its latest event ids. */
interface StreamState<TState> {
  state: TState;
  /** Revision of the last event folded; -1n for a stream with no events. */
  revision: bigint;
  position: bigint | null;
  /** Ids of the last RECENT_IDS events, oldest first: answers "did this idempotent command run already?" without a read. */
  recentIds: string[];
}

/** Enough for a retry or a double click, which come within a few events of the first try. */
const RECENT_IDS = 32;

/**
 * A command handler bound once to a decider and a store, in the shape of Emmett's
 * DeciderCommandHandler: load the stream's state, decide, append at the loaded revision; on
 * WrongExpectedRevision catch up and redecide, up to `maxRetries` times, then ConcurrencyConflict.
 * It answers from the state and events it just decided: nothing re-reads the stream afterwards.
 *
 * With `cacheSize`, the state of recently used streams stays in memory, so a command costs the
 * same on a stream of 200 events as on one of 2. Other processes may append to the same streams:
 * the append's expected revision tells, and a stale state is brought up to date by reading only
 * the events after it. A decision refused on a kept state is made again on a state read now, so a
 * stale guess can never make a refusal either.
 */
export class DeciderCommandHandler<TCommand, TEvent extends DomainEvent, TState, TCtx> {
  private readonly cache: LRUCache<string, StreamState<TState>> | null;
  private readonly maxRetries: number;

  constructor(private readonly options: DeciderCommandHandlerOptions<TCommand, TEvent, TState, TCtx>) {
    this.cache = options.cacheSize ? new LRUCache({ max: options.cacheSize }) : null;
    this.maxRetries = options.maxRetries ?? 3;
  }

  async handle(id: string, command: TCommand, ctx: TCtx, options: HandleOptions = {}): Promise<HandleCommandResult<TEvent, TState>> {
    const { store, decider } = this.options;
    const { eventIds, metadata, guard, decided: onDecided } = options;
    const streamId = this.options.streamIdFor(id);
    type Result = HandleCommandResult<TEvent, TState>;

    const kept = this.cache?.get(streamId);
    /** The whole stream, when this call read it (no state was kept): an idempotency check looks there. */
    let read: RecordedEvent[] | null = kept ? null : await store.read(streamId);
    let current = kept ?? this.remember(streamId, this.foldEvents(read!));
    /** Read from the store in this call (not a kept guess): a refusal on it is final. */
    let fresh = kept === undefined;

    let lastError: unknown;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (eventIds) {
        if (!read && !this.coversStream(current)) {
          // The kept ids do not reach back to the stream's start: read it all to know.
          read = await store.read(streamId);
          current = this.remember(streamId, this.foldEvents(read));
          fresh = true;
        }
        const repeated = read ? this.findRepeat(read, eventIds) : await this.repeatedResult(streamId, current, eventIds);
        if (repeated) return repeated as Result;
      }

      let decided: TEvent[];
      try {
        guard?.(current.state);
        decided = decider.decide(command, current.state, ctx);
      } catch (error) {
        if (fresh) throw error;
        current = await this.catchUp(streamId, current);
        [fresh, read] = [true, null];
        attempt -= 1; // a refresh after a refusal is not a concurrency retry
        continue;
      }
      if (decided.length === 0) {
        return { events: [], state: current.state, nextRevision: current.revision, position: current.position };
      }

      onDecided?.(decided, current.state);
      const toAppend: EventData[] = decided.map((e, i) => ({
        id: eventIds ? eventIds(i) : newEventId(),
        type: e.type,
        data: e.data as Record<string, unknown>,
        metadata: { ...metadata },
      }));
      try {
        const result = await store.append(streamId, toAppend, {
          expectedRevision: current.revision < 0n ? 'no_stream' : current.revision,
        });
        let events = result.events;
        if (!events) {
          const fromRevision = result.nextRevision - BigInt(toAppend.length) + 1n;
          events = (await store.read(streamId, { fromRevision })).slice(0, toAppend.length);
        }
        if (events[0].revision !== current.revision + 1n) {
          // A no-op re-append: a concurrent twin of this request stored the same ids first, somewhere
          // after what we knew. Rare: read the stream and answer with the twin's result, all of it
          // (decided on a newer state, it may hold more events than this decision).
          return (await this.twinResult(streamId, eventIds ?? ((i) => toAppend[i]?.id)))! as Result;
        }
        const next = this.remember(streamId, this.evolveWith(current, events));
        return { events: events as Result['events'], state: next.state, nextRevision: next.revision, position: next.position };
      } catch (error) {
        if (eventIds && error instanceof DuplicateEventId) {
          // A twin of this request (another api process, the same Idempotency-Key) went first and,
          // deciding on a newer state than this kept one, recorded fewer events than this decision:
          // its result is the answer, as for any repeat. A key reused on another stream stays an error.
          const twin = await this.twinResult(streamId, eventIds);
          if (twin) return twin as Result;
          throw error;
        }
        if (!(error instanceof WrongExpectedRevision)) throw error;
        lastError = error;
        current = await this.catchUp(streamId, current);
        [fresh, read] = [true, null];
      }
    }
    throw new ConcurrencyConflict(streamId, this.maxRetries + 1, lastError);
  }

  /**
   * Drops the kept state of one stream (e.g. after its personal data was erased): the next command
   * reads the stream again rather than deciding on what was decrypted before.
   */
  forget(id: string): void {
    this.cache?.delete(this.options.streamIdFor(id));
  }

  /** The first try of a repeated idempotent command, read from the stream as it is now (and kept). */
  private async twinResult(
    streamId: string,
    ids: (index: number) => string | undefined,
  ): Promise<HandleCommandResult<TEvent, TState> | null> {
    const read = await this.options.store.read(streamId);
    this.remember(streamId, this.foldEvents(read));
    return this.findRepeat(read, ids);
  }

  /** The events appended after `known`, folded on: a stale guess costs this one read. */
  private async catchUp(streamId: string, known: StreamState<TState>): Promise<StreamState<TState>> {
    const after = await this.options.store.read(streamId, { fromRevision: known.revision + 1n });
    return this.remember(streamId, this.evolveWith(known, after));
  }

  private remember(streamId: string, state: StreamState<TState>): StreamState<TState> {
    this.cache?.set(streamId, state);
    return state;
  }

  private foldEvents(events: RecordedEvent[]): StreamState<TState> {
    const empty: StreamState<TState> = { state: this.options.decider.initialState, revision: -1n, position: null, recentIds: [] };
    return this.evolveWith(empty, events);
  }

  private evolveWith(from: StreamState<TState>, events: RecordedEvent[]): StreamState<TState> {
    if (events.length === 0) return from;
    const { evolve } = this.options.decider;
    const state = events.reduce((s, e) => evolve(s, e as unknown as TEvent), from.state);
    const last = events[events.length - 1];
    const recentIds = [...from.recentIds, ...events.map((e) => e.id)].slice(-RECENT_IDS);
    return { state, revision: last.revision, position: last.position, recentIds };
  }

  private coversStream(known: StreamState<TState>): boolean {
    return BigInt(known.recentIds.length) === known.revision + 1n;
  }

  /** The first result of an idempotent command whose first id is among the kept ids (read the stream to answer: rare). */
  private async repeatedResult(
    streamId: string,
    known: StreamState<TState>,
    ids: (index: number) => string,
  ): Promise<HandleCommandResult<TEvent, TState> | null> {
    if (!known.recentIds.includes(ids(0))) return null;
    return this.findRepeat(await this.options.store.read(streamId), ids);
  }

  private findRepeat(recorded: RecordedEvent[], ids: (index: number) => string | undefined): HandleCommandResult<TEvent, TState> | null {
    const start = recorded.findIndex((e) => e.id === ids(0));
    if (start < 0) return null;
    let end = start + 1;
    while (end < recorded.length && recorded[end].id === ids(end - start)) end++;
    const mine = recorded.slice(start, end);
    const lastMine = mine[mine.length - 1];
    return {
      events: mine as HandleCommandResult<TEvent, TState>['events'],
      state: this.foldEvents(recorded.slice(0, end)).state,
      nextRevision: lastMine.revision,
      position: lastMine.position,
    };
  }
}
