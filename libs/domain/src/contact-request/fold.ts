/**
 * The one way stored events become request state: upcast (toDomainEvent), then evolve. The api's
 * command handler, the projections, the timers and the notifications all fold through here, so
 * they cannot disagree about what a stream means.
 */
import { evolve, initialState, type State } from './state';
import { toDomainEvent, type StoredEvent } from './upcast';

/** evolve for an event as stored: any schema version; events of other types leave the state as it is. */
export const evolveStored = (state: State, stored: StoredEvent): State => {
  const event = toDomainEvent(stored);
  return event ? evolve(state, event) : state;
};

/** Fold stored events (of one request, in revision order) into its state. */
export const foldStored = (events: readonly StoredEvent[], from: State = initialState): State => events.reduce<State>(evolveStored, from);

/**
 * Requests' folded states, each with the revision it is folded to: most recently used last, at most
 * `max` of them (the oldest is dropped). For a consumer that reads streams to fold them (the timers,
 * the alert dispatcher): an event that follows a kept state is folded on instead of the stream read
 * again. Events are immutable, so a kept state is never stale, only behind: what followed it is read.
 */
export class KeptStates {
  private readonly states = new Map<string, { revision: bigint; state: State }>();
  constructor(private readonly max = 10_000) {}

  get(streamId: string): { revision: bigint; state: State } | undefined {
    return this.states.get(streamId);
  }

  set(streamId: string, revision: bigint, state: State): void {
    this.states.delete(streamId); // re-insert: Map order doubles as least-recently-used
    this.states.set(streamId, { revision, state });
    if (this.states.size > this.max) this.states.delete(this.states.keys().next().value!);
  }

  /**
   * Folds on an event that directly follows the state kept for its stream. Any other event leaves
   * the states as they are: a stream not kept is read whole when next needed, and a gap (an event at
   * or below the kept revision again, or one missed) is read then too.
   */
  follow(event: StoredEvent & { streamId: string; revision: bigint }): void {
    const known = this.states.get(event.streamId);
    if (known !== undefined && event.revision === known.revision + 1n)
      this.set(event.streamId, event.revision, evolveStored(known.state, event));
  }
}
