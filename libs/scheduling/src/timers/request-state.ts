import { contactRequestDecider, evolve, initialState, toDomainEvent, type State } from '@send/domain';

/**
 * The ContactRequest decider with an evolve that upcasts stored events first (handleCommand folds
 * raw `{ type, data }`), so timers decide on the same state as a replay would build.
 */
export const upcastingContactRequestDecider = {
  ...contactRequestDecider,
  evolve: (state: State, stored: { type: string; data: unknown }): State => {
    const event = toDomainEvent(stored);
    return event ? evolve(state, event) : state;
  },
};

/** Folds stored events of one request into its state. */
export const foldRequest = (events: readonly { type: string; data: unknown }[], from: State = initialState): State =>
  events.reduce<State>(upcastingContactRequestDecider.evolve, from);

export const REQUEST_STREAM_PREFIX = 'contact-request-';
