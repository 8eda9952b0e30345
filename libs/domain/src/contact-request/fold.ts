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
