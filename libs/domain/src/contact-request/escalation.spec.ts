import { EscalationClosed, EscalationNotFound, MAX_RENOTIFICATIONS, NotRoutedToYou, RequestClosed } from '../index';
import {
  acknowledgeEscalation,
  advanceEscalation,
  at,
  attemptRecorded,
  contactRequestSpec,
  escalationAcknowledged,
  escalationAdvanced,
  escalationRaised,
  escalationRenotified,
  escalationResolved,
  recordResponse,
  resolveRequest,
  resolved,
  responded,
  submitted,
} from '../testing/fixtures';

// Chain in fastPolicy: team_manager (ack PT10S, respond PT20S) -> service_manager (PT30S, PT40S) -> head_of_service (PT50S, PT60S).
const raisedAtLevel1 = [
  submitted(),
  attemptRecorded('a1', at(10)),
  attemptRecorded('a2', at(20)),
  attemptRecorded('a3', at(30)),
  escalationRaised({ raisedAt: at(30) }), // ackDueAt at(40)
];
const atLevel2 = [...raisedAtLevel1, escalationAdvanced({ at: at(40), ackDueAt: at(70) })];
const atLevel3 = [
  ...atLevel2,
  escalationAdvanced({ fromLevel: 2, toLevel: 3, notifyRole: 'head_of_service', at: at(70), ackDueAt: at(120) }),
];

describe('AcknowledgeEscalation', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('records the acknowledgement and starts the level’s response window', () =>
    s
      .now(35)
      .given(...raisedAtLevel1)
      .when(acknowledgeEscalation('esc-1'))
      .then(escalationAcknowledged({ at: at(35), respondDueAt: at(55) })));

  it('at level 2 uses level 2’s response window', () =>
    s
      .now(50)
      .given(...atLevel2)
      .when(acknowledgeEscalation('esc-1', { by: 'service-manager-1', role: 'service_manager' }))
      .then(escalationAcknowledged({ at: at(50), level: 2, by: 'service-manager-1', respondDueAt: at(90) })));

  it('acknowledging twice at the same level is a retry: nothing new', () =>
    s
      .now(36)
      .given(...raisedAtLevel1, escalationAcknowledged({ at: at(35) }))
      .when(acknowledgeEscalation('esc-1'))
      .thenNothing());

  it('a manager at a higher level may acknowledge', () =>
    s
      .now(35)
      .given(...raisedAtLevel1)
      .when(acknowledgeEscalation('esc-1', { role: 'head_of_service', by: 'head-1' }))
      .thenMatches({ type: 'EscalationAcknowledged', data: { by: 'head-1' } }));

  it('a role below the escalation’s level is refused (NotRoutedToYou, 403)', () =>
    s
      .now(50)
      .given(...atLevel2)
      .when(acknowledgeEscalation('esc-1', { role: 'team_manager' }))
      .thenThrows(NotRoutedToYou, (e) => expect(e).toMatchObject({ code: 'not_routed_to_you', httpStatus: 403 })));

  it.each(['officer', 'parent', 'constructor'])('a role that is not a manager (%s) is refused', (role) =>
    s
      .now(35)
      .given(...raisedAtLevel1)
      .when(acknowledgeEscalation('esc-1', { role }))
      .thenThrows(NotRoutedToYou),
  );

  it('an unknown escalation id is EscalationNotFound (404)', () =>
    s
      .now(35)
      .given(...raisedAtLevel1)
      .when(acknowledgeEscalation('esc-nope'))
      .thenThrows(EscalationNotFound, (e) => expect(e).toMatchObject({ code: 'escalation_not_found', httpStatus: 404 })));

  it('a resolved escalation cannot be acknowledged (EscalationClosed, 422)', () =>
    s
      .now(50)
      .given(...raisedAtLevel1, responded(at(45)), escalationResolved(at(45)))
      .when(acknowledgeEscalation('esc-1'))
      .thenThrows(EscalationClosed, (e) => expect(e).toMatchObject({ code: 'escalation_closed' })));

  it('an older escalation of the request is closed, not unknown', () =>
    s
      .now(100)
      .given(
        ...raisedAtLevel1,
        responded(at(45)),
        escalationResolved(at(45)),
        attemptRecorded('a4', at(50)),
        attemptRecorded('a5', at(60)),
        attemptRecorded('a6', at(70)),
        escalationRaised({ escalationId: 'esc-2', raisedAt: at(70) }),
      )
      .when(acknowledgeEscalation('esc-1'))
      .thenThrows(EscalationClosed));
});

describe('AdvanceEscalation (escalation timer)', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('not acknowledged by ackDueAt: advances to level 2 (ack_timeout), notifying chain[1] with its ack window', () =>
    s
      .now(40)
      .given(...raisedAtLevel1)
      .when(advanceEscalation('esc-1', 1))
      .then(
        escalationAdvanced({
          fromLevel: 1,
          toLevel: 2,
          notifyRole: 'service_manager',
          reason: 'ack_timeout',
          at: at(40),
          ackDueAt: at(70),
        }),
      ));

  it('acknowledged but no officer response by respondDueAt: advances (still_unanswered) and needs a new acknowledgement', () =>
    s
      .now(55)
      .given(...raisedAtLevel1, escalationAcknowledged({ at: at(35) })) // respondDueAt at(55)
      .when(advanceEscalation('esc-1', 1))
      .thenState((state, events) => {
        expect(events).toEqual([escalationAdvanced({ reason: 'still_unanswered', at: at(55), ackDueAt: at(85) })]);
        expect(state).toMatchObject({ escalation: { level: 2, status: 'open', acknowledgedBy: null, respondDueAt: null } });
      }));

  it('level 2 not acknowledged: advances to level 3 (head_of_service)', () =>
    s
      .now(70)
      .given(...atLevel2)
      .when(advanceEscalation('esc-1', 2))
      .then(escalationAdvanced({ fromLevel: 2, toLevel: 3, notifyRole: 'head_of_service', at: at(70), ackDueAt: at(120) })));

  describe('stale or early timers yield nothing', () => {
    it('before the ack deadline', () =>
      s
        .now(39)
        .given(...raisedAtLevel1)
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());

    it('acknowledged in time (the ack timer fires after the ack)', () =>
      s
        .now(40)
        .given(...raisedAtLevel1, escalationAcknowledged({ at: at(35) }))
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());

    it('for a level the escalation has already left', () =>
      s
        .now(75)
        .given(...atLevel2)
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());

    it('for an escalation resolved by an officer response', () =>
      s
        .now(40)
        .given(...raisedAtLevel1, responded(at(38)), escalationResolved(at(38)))
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());

    it('for another escalation id', () =>
      s
        .now(40)
        .given(...raisedAtLevel1)
        .when(advanceEscalation('esc-old', 1))
        .thenNothing());

    it('on a resolved request', () =>
      s
        .now(40)
        .given(...raisedAtLevel1, escalationResolved(at(36)), resolved(at(36)))
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());

    it('twice for the same deadline: the second firing finds the new level', () =>
      s
        .now(40)
        .given(...atLevel2)
        .when(advanceEscalation('esc-1', 1))
        .thenNothing());
  });

  describe('after the last level', () => {
    it('does not advance past the end: re-notifies the last role with a new ack window', () =>
      s
        .now(120)
        .given(...atLevel3)
        .when(advanceEscalation('esc-1', 3))
        .then(escalationRenotified({ level: 3, reason: 'ack_timeout', renotification: 1, at: at(120), ackDueAt: at(170) })));

    it('acknowledged at the last level but still unanswered: re-notifies with a new response window', () =>
      s
        .now(140)
        .given(...atLevel3, escalationAcknowledged({ level: 3, by: 'head-1', at: at(80), respondDueAt: at(140) }))
        .when(advanceEscalation('esc-1', 3))
        .then(escalationRenotified({ level: 3, reason: 'still_unanswered', renotification: 1, at: at(140), respondDueAt: at(200) })));

    it(`is bounded: after ${MAX_RENOTIFICATIONS} re-notifications it stays open and yields nothing`, () => {
      const renotifications = Array.from({ length: MAX_RENOTIFICATIONS }, (_, i) =>
        escalationRenotified({ renotification: i + 1, at: at(120 + 50 * i), ackDueAt: at(170 + 50 * i) }),
      );
      s.now(10_000)
        .given(...atLevel3, ...renotifications)
        .when(advanceEscalation('esc-1', 3))
        .thenState((state, events) => {
          expect(events).toEqual([]);
          expect(state).toMatchObject({ escalation: { status: 'open', level: 3, renotifications: MAX_RENOTIFICATIONS } });
        });
    });

    it('a re-notification’s own deadline must pass before the next one', () =>
      s
        .now(160)
        .given(...atLevel3, escalationRenotified({ renotification: 1, at: at(120), ackDueAt: at(170) }))
        .when(advanceEscalation('esc-1', 3))
        .thenNothing());
  });
});

describe('An officer response and the escalation', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('resolves the open escalation and stops the first-response clock', () =>
    s
      .now(45)
      .given(...raisedAtLevel1)
      .when(recordResponse('resp-1'))
      .thenState((state, events) => {
        expect(events).toEqual([responded(at(45)), escalationResolved(at(45))]);
        expect(state).toMatchObject({
          status: 'responded',
          firstRespondedAt: at(45),
          unansweredCount: 0,
          escalation: { status: 'resolved', resolvedBy: 'officer-1' },
        });
      }));

  it('resolves an acknowledged escalation too', () =>
    s
      .now(45)
      .given(...raisedAtLevel1, escalationAcknowledged({ at: at(35) }))
      .when(recordResponse('resp-1'))
      .then(responded(at(45)), escalationResolved(at(45))));

  it('with no escalation open, is just a response', () =>
    s
      .now(15)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(recordResponse('resp-1'))
      .then(responded(at(15))));

  it('after an escalation was resolved, new unanswered attempts can raise a new one', () =>
    s
      .now(80)
      .given(...raisedAtLevel1, responded(at(45)), escalationResolved(at(45)), attemptRecorded('a4', at(60)), attemptRecorded('a5', at(70)))
      .when({
        type: 'RecordAttempt',
        requestId: submitted().data.requestId,
        attemptId: 'a6',
        channel: 'email',
        source: 'portal',
        escalationId: 'esc-2',
      })
      .thenMatches(
        { type: 'ContactAttemptRecorded' },
        { type: 'EscalationRaised', data: { escalationId: 'esc-2', level: 1, unansweredCount: 3, reason: 'repeated_unanswered' } },
      ));

  it('refuses a response on a resolved request (RequestClosed)', () =>
    s
      .now(50)
      .given(submitted(), resolved(at(40)))
      .when(recordResponse())
      .thenThrows(RequestClosed));
});

describe('Resolving a request with an open escalation', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('resolves the escalation first, so it does not climb the chain for a closed request', () =>
    s
      .now(45)
      .given(...raisedAtLevel1)
      .when(resolveRequest({ by: 'manager-1', outcome: 'withdrawn', withoutReply: { reason: 'withdrawn' } }))
      .thenMatches(
        { type: 'EscalationResolved', data: { escalationId: 'esc-1', by: 'manager-1', at: at(45) } },
        { type: 'RequestResolved', data: { by: 'manager-1', outcome: 'withdrawn', at: at(45), withoutReply: { reason: 'withdrawn' } } },
      ));
});
