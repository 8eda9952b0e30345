import {
  CONTACT_REQUEST_EVENT_TYPES,
  decide,
  evolve,
  initialState,
  personalDataErased,
  replay,
  type ContactRequestEvent,
  type State,
} from '../index';
import {
  at,
  attemptRecorded,
  callBackFailed,
  escalationAcknowledged,
  escalationAdvanced,
  escalationRaised,
  escalationRenotified,
  escalationResolved,
  fastPolicy,
  assigned,
  reassigned,
  routed,
  recordAttempt,
  reopened,
  resolved,
  responded,
  slaBreached,
  submitted,
  atDate,
} from '../testing/fixtures';

const oneOfEach: ContactRequestEvent[] = [
  submitted(),
  routed(),
  attemptRecorded('a1', at(10)),
  assigned('officer-1'),
  reassigned('officer-2'),
  callBackFailed(at(15)),
  escalationRaised({ raisedAt: at(20) }),
  escalationAcknowledged({ at: at(25) }),
  escalationAdvanced({ at: at(45), ackDueAt: at(75) }),
  escalationRenotified({ renotification: 1, at: at(80), ackDueAt: at(130) }),
  responded(at(90)),
  escalationResolved(at(90)),
  slaBreached('resolution', at(1000), at(1000)),
  resolved(at(1100)),
  reopened(at(1200)),
  {
    type: 'PriorityChanged',
    data: {
      schemaVersion: 1,
      priority: 'urgent',
      by: 'officer-1',
      at: at(1210),
      due: { firstResponseAt: at(1250), resolutionAt: at(1700) },
    },
  },
  personalDataErased({ erasureId: 'erasure-1', reason: 'erasure', by: 'manager-1', at: at(1300) }),
];

describe('evolve records facts and never fails', () => {
  it('covers every event type in these specs', () =>
    expect(new Set(oneOfEach.map((e) => e.type))).toEqual(new Set(CONTACT_REQUEST_EVENT_TYPES)));

  it('replays any order of events without throwing (rules are not re-checked on replay)', () => {
    // Deterministic shuffles: every rotation and the reverse.
    const orders = [...oneOfEach.map((_, i) => [...oneOfEach.slice(i), ...oneOfEach.slice(0, i)]), [...oneOfEach].reverse()];
    for (const order of orders) expect(() => replay(order)).not.toThrow();
  });

  it('ignores events before ContactRequestSubmitted and a second submission', () => {
    expect(evolve(initialState, responded(at(1)))).toBe(initialState);
    const state = replay([submitted()]);
    expect(evolve(state, submitted({ subject: 'other' }))).toBe(state);
  });

  it('ignores escalation events for another escalation id', () => {
    const state = replay([submitted(), escalationRaised({ raisedAt: at(20) })]);
    expect(evolve(state, escalationAcknowledged({ escalationId: 'other', at: at(25) }))).toBe(state);
  });

  it('does not mutate the state it is given', () => {
    const state = replay([submitted(), attemptRecorded('a1', at(10))]);
    const copy = JSON.parse(JSON.stringify(state)) as State;
    evolve(state, responded(at(20)));
    expect(state).toEqual(copy);
  });

  // evolve copies a state field by field (not by spread) and sets a fresh copy's status in place:
  // neither may touch the state it was given, nor drop or reorder a field.
  it('never writes to the state it is given, whatever the event (a frozen state throws on a write)', () => {
    for (let i = 1; i < oneOfEach.length; i++) {
      const before = deepFreeze(replay(oneOfEach.slice(0, i)));
      expect(() => evolve(before, oneOfEach[i])).not.toThrow();
    }
  });

  it('keeps every field of the state, in the order a submission sets them, after every event', () => {
    const fields = Object.keys(replay([submitted()]));
    for (let i = 1; i <= oneOfEach.length; i++) {
      const state = replay(oneOfEach.slice(0, i)) as unknown as Record<string, unknown>;
      expect(Object.keys(state)).toEqual(fields);
      expect(fields.filter((field) => state[field] === undefined)).toEqual([]);
    }
  });

  it('keeps every field of an escalation as it moves (acknowledged, advanced, renotified, resolved)', () => {
    const raisedAt = oneOfEach.findIndex((e) => e.type === 'EscalationRaised');
    // As stored (JSON): an escalation raised with no userIds may carry the key undefined in memory.
    const escalationOf = (i: number) =>
      JSON.parse(JSON.stringify((replay(oneOfEach.slice(0, i + 1)) as { escalation: object }).escalation));
    const fields = Object.keys(escalationOf(raisedAt));
    for (let i = raisedAt + 1; i < oneOfEach.length; i++) expect(Object.keys(escalationOf(i))).toEqual(fields);
  });
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('decide is deterministic', () => {
  it('the same command, state and ctx give the same events', () => {
    const state = replay([submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20))]);
    const ctx = { now: atDate(150), policy: fastPolicy };
    expect(decide(recordAttempt('a3'), state, ctx)).toEqual(decide(recordAttempt('a3'), state, ctx));
  });

  it('events are plain JSON: they survive a round trip', () => {
    const state = replay([submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20))]);
    const events = decide(recordAttempt('a3'), state, { now: atDate(150), policy: fastPolicy });
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });
});
