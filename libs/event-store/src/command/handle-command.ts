import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';
import {
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

/** The decider pattern (DESIGN.md, "Domain model"): rules in decide, facts in evolve. */
export interface Decider<TCommand, TEvent extends DomainEvent, TState, TCtx = unknown> {
  decide(command: TCommand, state: TState, ctx: TCtx): TEvent[];
  evolve(state: TState, event: TEvent): TState;
  initialState: TState;
}

export interface HandleCommandInput<TCommand, TEvent extends DomainEvent, TState, TCtx> {
  store: EventStore;
  streamId: string;
  decider: Decider<TCommand, TEvent, TState, TCtx>;
  command: TCommand;
  ctx: TCtx;
  /**
   * Deterministic ids for the events decided (see eventIdsFor). With them, a command sent twice
   * appends once and the second call returns the first call's result without deciding again.
   * Without them, ids are random (v4).
   */
  eventIds?: (index: number) => string;
  /** Metadata stored on every event appended (correlationId, causationId, actor, idempotencyKey). */
  metadata?: EventMetadata;
  /** Retries after a WrongExpectedRevision (reload, redecide). Default 3. */
  maxRetries?: number;
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

/**
 * Load the stream, decide, append at the loaded revision; on WrongExpectedRevision reload and
 * redecide, up to `maxRetries` times, then throw ConcurrencyConflict. Pure of Nest.
 *
 * With `eventIds`, it first looks for events with those ids in the stream: if the first one is
 * there, this command already ran (a retry, a double click): it returns that first result without
 * deciding (decide might now refuse, e.g. RequestAlreadyExists).
 */
export async function handleCommand<TCommand, TEvent extends DomainEvent, TState, TCtx>(
  input: HandleCommandInput<TCommand, TEvent, TState, TCtx>,
): Promise<HandleCommandResult<TEvent, TState>> {
  const { store, streamId, decider, command, ctx, eventIds, metadata } = input;
  const maxRetries = input.maxRetries ?? 3;
  type Recorded = RecordedEvent<TEvent['data'] & Record<string, unknown>>;
  const fold = (events: RecordedEvent[]): TState =>
    events.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as TEvent), decider.initialState);

  let lastError: unknown;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    const recorded = await store.read(streamId);

    if (eventIds) {
      const previous = alreadyRecorded(recorded, eventIds);
      if (previous) return previous as HandleCommandResult<TEvent, TState> & { events: Recorded[] };
    }

    const state = fold(recorded);
    const decided = decider.decide(command, state, ctx);
    const last = recorded[recorded.length - 1];
    if (decided.length === 0) {
      return { events: [], state, nextRevision: last ? last.revision : -1n, position: last ? last.position : null };
    }

    const toAppend: EventData[] = decided.map((e, i) => ({
      id: eventIds ? eventIds(i) : uuidv4(),
      type: e.type,
      data: e.data as Record<string, unknown>,
      metadata: { ...metadata },
    }));
    try {
      const result = await store.append(streamId, toAppend, {
        expectedRevision: last ? last.revision : 'no_stream',
      });
      let events = result.events;
      if (!events) {
        const fromRevision = result.nextRevision - BigInt(toAppend.length) + 1n;
        events = (await store.read(streamId, { fromRevision })).slice(0, toAppend.length);
      }
      // Normally `events` directly follow what we loaded. After a no-op re-append (a concurrent twin
      // of this request stored the same ids first) they may sit further on: fold what precedes them.
      const follows = events[0].revision === (last ? last.revision + 1n : 0n);
      const before = follows ? state : fold((await store.read(streamId)).filter((e) => e.revision < events![0].revision));
      const stateAfter = events.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as TEvent), before);
      return { events: events as Recorded[], state: stateAfter, nextRevision: result.nextRevision, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision)) throw error;
      lastError = error;
    }
  }
  throw new ConcurrencyConflict(streamId, maxRetries + 1, lastError);

  function alreadyRecorded(recorded: RecordedEvent[], ids: (index: number) => string): HandleCommandResult<TEvent, TState> | null {
    const firstId = ids(0);
    const start = recorded.findIndex((e) => e.id === firstId);
    if (start < 0) return null;
    let end = start + 1;
    while (end < recorded.length && recorded[end].id === ids(end - start)) end++;
    const upTo = recorded.slice(0, end);
    const mine = recorded.slice(start, end);
    const lastMine = mine[mine.length - 1];
    return {
      events: mine as Recorded[],
      state: fold(upTo),
      nextRevision: lastMine.revision,
      position: lastMine.position,
    };
  }
}
