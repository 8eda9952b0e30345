import { InvalidCommand, RequestClosed, RequestNotFound } from '../index';
import {
  at,
  attemptRecorded,
  callBackFailed,
  contactRequestSpec,
  escalationAcknowledged,
  escalationRaised,
  policyWith,
  recordAttempt,
  recordFailedCallBack,
  resolved,
  responded,
  slaBreached,
  submitted,
} from '../testing/fixtures';

describe('RecordAttempt: unanswered attempts', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('records an inbound attempt, unanswered by default, at ctx.now', () =>
    s
      .now(10)
      .given(submitted())
      .when(recordAttempt('a1'))
      .then(attemptRecorded('a1', at(10))));

  it('keeps the channel, outcome, source and the given time of the attempt', () =>
    s
      .now(20)
      .given(submitted())
      .when(recordAttempt('a1', { channel: 'email', outcome: 'no_reply', source: 'telephony', at: at(15) }))
      .then(attemptRecorded('a1', at(15), { channel: 'email', outcome: 'no_reply', source: 'telephony' })));

  it('never dates an attempt after ctx.now (a sender clock running ahead)', () =>
    s
      .now(20)
      .given(submitted())
      .when(recordAttempt('a1', { at: at(25) }))
      .then(attemptRecorded('a1', at(20))));

  it('refuses an `at` that is not an instant', () =>
    s
      .now(20)
      .given(submitted())
      .when(recordAttempt('a1', { at: 'yesterday' }))
      .thenThrows(InvalidCommand));

  it('counts each attempt as unanswered until an officer response after it', () =>
    s
      .now(30)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordAttempt('a2'))
      .thenState((state) => expect(state).toMatchObject({ unansweredCount: 2, lastAttemptAt: at(30) })));

  it('an officer response clears the unanswered attempts', () =>
    s
      .now(40)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)), responded(at(30)))
      .when(recordAttempt('a3'))
      .thenState((state) => expect(state).toMatchObject({ unansweredCount: 1 })));

  it('an attempt dated before the latest response was answered by it (a late telephony record)', () =>
    s
      .now(40)
      .given(submitted(), attemptRecorded('a1', at(10)), responded(at(30)))
      .when(recordAttempt('a2', { at: at(20) }))
      .thenState((state) => expect(state).toMatchObject({ unansweredCount: 0, firstUnansweredAt: null, attemptCount: 2 })));

  it('keeps counts and the earliest unanswered instant, not a list: bounded however often the family tries (ADR 0023)', () =>
    s
      .now(60)
      .given(
        submitted(),
        attemptRecorded('a1', at(20)),
        attemptRecorded('a2', at(10)), // a late telephony record of an earlier call
        attemptRecorded('a3', at(30)),
      )
      .when(recordAttempt('a4'))
      .thenState((state) => {
        expect(state).toMatchObject({ unansweredCount: 4, attemptCount: 4, firstUnansweredAt: at(10), lastAttemptAt: at(60) });
        expect(Object.keys(state)).not.toContain('attempts');
      }));

  it('a response answers them all: no unanswered instant, the count of attempts stays', () =>
    s
      .now(50)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)), responded(at(30)))
      .when(recordAttempt('a3'))
      .thenState((state) => expect(state).toMatchObject({ unansweredCount: 1, attemptCount: 3, firstUnansweredAt: at(50) })));

  it('refuses attempts on a request resolved longer ago than the family may reopen it (RequestClosed, 422)', () =>
    s
      .now(221) // resolved at 20, reopenWithin PT200S
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(recordAttempt('a1'))
      .thenThrows(RequestClosed, (e) => expect(e).toMatchObject({ code: 'request_closed', httpStatus: 422 })));

  it('refuses attempts on a request that does not exist (RequestNotFound, 404)', () =>
    s
      .given()
      .when(recordAttempt('a1'))
      .thenThrows(RequestNotFound, (e) => expect(e).toMatchObject({ code: 'request_not_found' })));
});

describe('RecordAttempt: escalation on repeated unanswered attempts', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('raises level 1 on the third unanswered attempt (threshold 3), routed to chain[0] with its ack window', () =>
    s
      .now(30)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)))
      .when(recordAttempt('a3'))
      .then(
        attemptRecorded('a3', at(30)),
        escalationRaised({
          escalationId: 'esc-a3',
          level: 1,
          notifyRole: 'team_manager',
          reason: 'repeated_unanswered',
          unansweredCount: 3,
          raisedAt: at(30),
          ackDueAt: at(40),
        }),
      ));

  it('does not raise below the threshold', () =>
    s
      .now(20)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordAttempt('a2'))
      .then(attemptRecorded('a2', at(20))));

  it('follows the policy threshold', () =>
    s
      .policy(policyWith({ unanswered: { threshold: 1 } }))
      .now(10)
      .given(submitted())
      .when(recordAttempt('a1'))
      .thenMatches(attemptRecorded('a1', at(10)), {
        type: 'EscalationRaised',
        data: { unansweredCount: 1, reason: 'repeated_unanswered' },
      }));

  it('derives an escalation id from the attempt when the command gives none', () =>
    s
      .now(30)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)))
      .when(recordAttempt('a3', { escalationId: undefined }))
      .thenMatches({ type: 'ContactAttemptRecorded' }, { type: 'EscalationRaised', data: { escalationId: 'esc-a3' } }));

  it('attempts answered by a response do not count towards the threshold', () =>
    s
      .now(40)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)), responded(at(25)), attemptRecorded('a3', at(30)))
      .when(recordAttempt('a4'))
      .then(attemptRecorded('a4', at(40))));

  describe('while an escalation is open', () => {
    const open = [
      submitted(),
      attemptRecorded('a1', at(10)),
      attemptRecorded('a2', at(20)),
      attemptRecorded('a3', at(30)),
      escalationRaised({ raisedAt: at(30) }),
    ];

    it('a further attempt raises nothing and is counted on the open escalation', () =>
      s
        .now(35)
        .given(...open)
        .when(recordAttempt('a4'))
        .thenState((state, events) => {
          expect(events).toEqual([attemptRecorded('a4', at(35))]);
          expect(state).toMatchObject({ unansweredCount: 4, escalation: { id: 'esc-1', unansweredCount: 4, status: 'open' } });
        }));

    it('also when it has been acknowledged', () =>
      s
        .now(38)
        .given(...open, escalationAcknowledged({ at: at(35) }))
        .when(recordAttempt('a4'))
        .thenState((state, events) => {
          expect(events).toEqual([attemptRecorded('a4', at(38))]);
          expect(state).toMatchObject({ escalation: { unansweredCount: 4, status: 'acknowledged' } });
        }));
  });
});

describe('RecordAttempt after the first-response due time', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('an attempt at/after the due time with the clock running records the breach and raises level 1 (sla_breached), even if the deadline timer has not fired', () =>
    s
      .now(100)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordAttempt('a2'))
      .then(
        attemptRecorded('a2', at(100)),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ escalationId: 'esc-a2', reason: 'sla_breached', unansweredCount: 2, raisedAt: at(100) }),
      ));

  it('does not record the breach twice when the timer already did (and raises nothing while that escalation is open)', () =>
    s
      .now(120)
      .given(
        submitted(),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ escalationId: 'esc-fr', reason: 'sla_breached', unansweredCount: 0, raisedAt: at(100) }),
      )
      .when(recordAttempt('a1'))
      .then(attemptRecorded('a1', at(120))));

  it('after a first response the first-response clock is stopped: a late attempt only counts towards the threshold', () =>
    s
      .now(150)
      .given(submitted(), responded(at(50)), attemptRecorded('a1', at(120)))
      .when(recordAttempt('a2'))
      .then(attemptRecorded('a2', at(150))));
});

describe('RecordFailedCallBack', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('records the effort', () =>
    s
      .now(20)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordFailedCallBack())
      .then(callBackFailed(at(20))));

  it('is not a response: unanswered attempts stay, the first-response clock keeps running', () =>
    s
      .now(20)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordFailedCallBack())
      .thenState((state) =>
        expect(state).toMatchObject({ unansweredCount: 1, firstRespondedAt: null, status: 'open', failedCallBacks: 1 }),
      ));

  it('does not resolve an open escalation', () =>
    s
      .now(35)
      .given(
        submitted(),
        attemptRecorded('a1', at(10)),
        attemptRecorded('a2', at(20)),
        attemptRecorded('a3', at(30)),
        escalationRaised({ raisedAt: at(30) }),
      )
      .when(recordFailedCallBack())
      .thenState((state, events) => {
        expect(events).toEqual([callBackFailed(at(35))]);
        expect(state).toMatchObject({ escalation: { status: 'open' } });
      }));

  it('a later attempt after a failed call-back still raises at the threshold', () =>
    s
      .now(30)
      .given(submitted(), attemptRecorded('a1', at(10)), callBackFailed(at(15)), attemptRecorded('a2', at(20)))
      .when(recordAttempt('a3'))
      .thenMatches({ type: 'ContactAttemptRecorded' }, { type: 'EscalationRaised', data: { unansweredCount: 3 } }));

  it('refuses on a resolved request', () =>
    s
      .now(30)
      .given(submitted(), resolved(at(20)))
      .when(recordFailedCallBack())
      .thenThrows(RequestClosed));
});
