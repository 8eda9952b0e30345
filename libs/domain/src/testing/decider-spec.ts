/**
 * given/when/then for deciders, in the spirit of Emmett's DeciderSpecification:
 *
 *   spec.given(submitted(), attempt()).when(recordAttempt()).then(attemptRecorded(), escalationRaised())
 *   spec.given(resolved...).when(respond()).thenThrows(RequestClosed)
 *   spec.given(...).when(checkDeadline('first_response')).thenNothing()
 *
 * `then` compares with toEqual (exact events, in order). Each spec runs `decide` on the state folded
 * from the given events; it also folds the produced events, so evolve is exercised on every spec.
 */
import type { Policy } from '@send/sla';

export interface Decider<C, E, S, Ctx> {
  decide(command: C, state: S, ctx: Ctx): E[];
  evolve(state: S, event: E): S;
  initialState: S;
}

export interface WhenResult<E, S> {
  /** The exact events, in order. */
  then(...expected: E[]): void;
  /** Match each produced event against a partial shape (jest's toMatchObject), same count and order. */
  thenMatches(...expected: unknown[]): void;
  thenNothing(): void;
  thenThrows(errorClass: abstract new (...args: never[]) => Error, check?: (error: Error) => void): void;
  /** Escape hatch: the produced events and the state after them. */
  thenState(check: (state: S, events: E[]) => void): void;
}

export interface Given<C, E, S, Ctx> {
  when(command: C): WhenResult<E, S>;
}

export interface Spec<C, E, S, Ctx> {
  given(...events: E[]): Given<C, E, S, Ctx>;
}

export const deciderSpec = <C, E, S, Ctx>(decider: Decider<C, E, S, Ctx>, ctx: () => Ctx): Spec<C, E, S, Ctx> => ({
  given: (...history: E[]) => ({
    when: (command: C): WhenResult<E, S> => {
      const run = (): { events: E[]; state: S } => {
        const before = history.reduce(decider.evolve, decider.initialState);
        const events = decider.decide(command, before, ctx());
        return { events, state: events.reduce(decider.evolve, before) };
      };
      return {
        then: (...expected) => expect(run().events).toEqual(expected),
        thenMatches: (...expected) => {
          const { events } = run();
          expect(events).toHaveLength(expected.length);
          expected.forEach((e, i) => expect(events[i]).toMatchObject(e as object));
        },
        thenNothing: () => expect(run().events).toEqual([]),
        thenThrows: (errorClass, check) => {
          let caught: unknown;
          try {
            run();
          } catch (e) {
            caught = e;
          }
          expect(caught).toBeInstanceOf(errorClass);
          check?.(caught as Error);
        },
        thenState: (check) => {
          const { state, events } = run();
          check(state, events);
        },
      };
    },
  }),
});

/** Context for specs: a fixed `now` and a policy, both changeable per test. */
export interface SpecContext {
  now: Date;
  policy: Policy;
}
