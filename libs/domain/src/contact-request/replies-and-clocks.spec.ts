import fc from 'fast-check';
import {
  contactRequestDecider,
  InvalidCommand,
  isSubmitted,
  nextTimers,
  ReopenWindowClosed,
  ReplyNeeded,
  RequestClosed,
  type ContactRequestCommand,
  type ContactRequestEvent,
  type State,
} from '../index';
import {
  at,
  atDate,
  attemptRecorded,
  checkDeadline,
  contactRequestSpec,
  escalationAcknowledged,
  escalationRaised,
  escalationResolved,
  fastPolicy,
  recordAttempt,
  recordResponse,
  REQUEST_ID,
  resolved,
  responded,
  submitRequest,
  submitted,
  T0,
} from '../testing/fixtures';

/** Issue 10's rules: replies of two kinds, the update clock, resolving and reopening, received time, memory, priority. */
const s = contactRequestSpec();
beforeEach(s.reset);

const holding = (atIso: string) => responded(atIso, { kind: 'holding', updateDueAt: at(300, atIso) });
const raised = escalationRaised({ raisedAt: at(30) }); // esc-1, level 1, team_manager, ack due at(40)

describe('replies: holding and full', () => {
  it('a holding reply clears unanswered attempts, stops the first-response clock, starts the update clock and leaves an open escalation open', () =>
    s
      .now(35)
      .given(submitted(), attemptRecorded('a1', at(10)), attemptRecorded('a2', at(20)), attemptRecorded('a3', at(30)), raised)
      .when(recordResponse('resp-1', { kind: 'holding' }))
      .thenState((state, events) => {
        expect(events).toEqual([responded(at(35), { kind: 'holding', updateDueAt: at(335) })]);
        expect(state).toMatchObject({ unansweredCount: 0, firstRespondedAt: at(35), updateDueAt: at(335), escalation: { status: 'open' } });
        expect(nextTimers(state).map((t) => t.key)).toEqual([
          `deadline:${REQUEST_ID}:resolution`,
          `deadline:${REQUEST_ID}:update:h1`,
          `escalation:${REQUEST_ID}:esc-1:1:ack`,
        ]);
      }));

  it('a full reply resolves the open escalation and clears the update clock', () =>
    s
      .now(60)
      .given(submitted(), raised, holding(at(35)))
      .when(recordResponse('resp-2'))
      .thenState((state, events) => {
        expect(events.map((e) => e.type)).toEqual(['OfficerResponded', 'EscalationResolved']);
        expect(state).toMatchObject({ updateDueAt: null, lastResponseKind: 'full', escalation: { status: 'resolved' } });
      }));

  it('records a reply made earlier with both times, and never one before the request was received', () => {
    s.now(50)
      .given(submitted())
      .when(recordResponse('resp-1', { at: at(20) }))
      .thenMatches({ type: 'OfficerResponded', data: { at: at(20), enteredAt: at(50), kind: 'full' } });
    s.now(50)
      .given(submitted())
      .when(recordResponse('resp-1', { at: at(-5) }))
      .thenThrows(InvalidCommand, (e) => expect(e.message).toContain('before the request was received'));
  });
});

describe('the update clock', () => {
  it('breaches when no update came after a holding reply, and raises an escalation (update_missed)', () =>
    s
      .now(340)
      .given(submitted(), holding(at(35)))
      .when(checkDeadline('update'))
      .thenMatches(
        { type: 'SlaBreached', data: { clock: 'update', dueAt: at(335), breachedAt: at(340) } },
        { type: 'EscalationRaised', data: { level: 1, reason: 'update_missed', escalationId: `esc-${REQUEST_ID}-update-h1` } },
      ));

  it('moves an open escalation up a level when the promised update is missed', () =>
    s
      .now(340)
      .given(submitted(), raised, escalationAcknowledged({ at: at(35) }), holding(at(35)))
      .when(checkDeadline('update'))
      .thenMatches(
        { type: 'SlaBreached', data: { clock: 'update' } },
        { type: 'EscalationAdvanced', data: { fromLevel: 1, toLevel: 2, reason: 'update_missed', notifyRole: 'service_manager' } },
      ));

  it('is early, stale after a full reply, and once per holding reply', () => {
    s.now(300)
      .given(submitted(), holding(at(35)))
      .when(checkDeadline('update'))
      .thenNothing();
    s.now(400)
      .given(submitted(), holding(at(35)), responded(at(100)))
      .when(checkDeadline('update'))
      .thenNothing();
    s.now(400)
      .given(submitted(), holding(at(35)), {
        type: 'SlaBreached',
        data: { schemaVersion: 1, clock: 'update', dueAt: at(335), breachedAt: at(336) },
      })
      .when(checkDeadline('update'))
      .thenNothing();
  });
});

describe('resolving', () => {
  it('needs a reason from the closed list when the request never had a reply', () => {
    s.now(50)
      .given(submitted())
      .when({ type: 'ResolveRequest', requestId: REQUEST_ID, by: 'officer-1', outcome: 'Done' })
      .thenThrows(ReplyNeeded);
    s.now(50)
      .given(submitted())
      .when({
        type: 'ResolveRequest',
        requestId: REQUEST_ID,
        by: 'officer-1',
        outcome: 'Sent twice',
        withoutReply: { reason: 'duplicate' },
      })
      .thenMatches({ type: 'RequestResolved', data: { withoutReply: { reason: 'duplicate' } } });
  });

  it('takes "answered outside the system" only with the date it happened', () => {
    const resolve = (withoutReply: object) =>
      ({ type: 'ResolveRequest', requestId: REQUEST_ID, by: 'officer-1', outcome: 'Met at school', withoutReply }) as ContactRequestCommand;
    s.now(50)
      .given(submitted())
      .when(resolve({ reason: 'answered_outside' }))
      .thenThrows(InvalidCommand);
    s.now(50)
      .given(submitted())
      .when(resolve({ reason: 'forgot' }))
      .thenThrows(InvalidCommand);
    s.now(50)
      .given(submitted())
      .when(resolve({ reason: 'answered_outside', answeredAt: at(40) }))
      .thenMatches({ type: 'RequestResolved', data: { withoutReply: { reason: 'answered_outside', answeredAt: at(40) } } });
  });
});

describe('reopening', () => {
  const reopen = (byRequester: boolean) =>
    ({
      type: 'ReopenRequest',
      requestId: REQUEST_ID,
      by: byRequester ? 'parent-1' : 'officer-1',
      reason: 'Still no plan',
      byRequester,
    }) as ContactRequestCommand;

  it('lets the family reopen within sla.reopenWithin of resolution, and staff at any time', () => {
    s.now(220)
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(reopen(true))
      .thenMatches({ type: 'RequestReopened', data: { byRequester: true } });
    s.now(221)
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(reopen(true))
      .thenThrows(ReopenWindowClosed);
    s.now(5000)
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(reopen(false))
      .thenMatches({ type: 'RequestReopened', data: { by: 'officer-1' } });
  });

  it('reopens a recently resolved request when the family gets in touch again, and counts the attempt in the new period', () =>
    s
      .now(100)
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(recordAttempt('a1', { by: 'parent-1' }))
      .thenState((state, events) => {
        expect(events.map((e) => e.type)).toEqual(['RequestReopened', 'ContactAttemptRecorded']);
        expect(events[0]).toMatchObject({ data: { by: 'parent-1', byRequester: true, reason: 'The family got in touch again' } });
        expect(state).toMatchObject({ status: 'open', period: 1, unansweredCount: 1, firstRespondedAt: null });
      }));

  it('still refuses a call on a request resolved long ago', () =>
    s
      .now(500)
      .given(submitted(), responded(at(10)), resolved(at(20)))
      .when(recordAttempt('a1'))
      .thenThrows(RequestClosed));
});

describe('received time', () => {
  it('runs the clocks from when a letter arrived, not from when it was typed in', () =>
    s
      .now(3600)
      .given()
      .when(submitRequest({ receivedAt: at(600) }))
      .thenMatches({
        type: 'ContactRequestSubmitted',
        data: { submittedAt: at(3600), receivedAt: at(600), due: { firstResponseAt: at(700), resolutionAt: at(1600) } },
      }));

  it('refuses a received time older than intake.maxBackdate, and puts a future one at now', () => {
    s.now(0)
      .given()
      .when(submitRequest({ receivedAt: new Date(Date.parse(T0) - 31 * 86_400_000).toISOString() }))
      .thenThrows(InvalidCommand, (e) => expect(e.message).toContain('intake.maxBackdate'));
    s.now(0)
      .given()
      .when(submitRequest({ receivedAt: at(60) }))
      .thenState((state) => expect(state).toMatchObject({ receivedAt: T0 }));
  });
});

describe('escalation memory', () => {
  it('starts a new escalation at the level the last one reached when it ended within escalation.memory', () =>
    s
      .now(200)
      .given(
        submitted(),
        raised,
        {
          type: 'EscalationAdvanced',
          data: {
            schemaVersion: 1,
            escalationId: 'esc-1',
            fromLevel: 1,
            toLevel: 3,
            notifyRole: 'head_of_service',
            reason: 'ack_timeout',
            at: at(60),
            ackDueAt: at(110),
          },
        },
        responded(at(100)),
        escalationResolved(at(100)),
        attemptRecorded('a4', at(150)),
        attemptRecorded('a5', at(160)),
      )
      .when(recordAttempt('a6'))
      .thenMatches(
        { type: 'ContactAttemptRecorded' },
        {
          type: 'EscalationRaised',
          data: { level: 3, notifyRole: 'head_of_service', resumesFrom: 'esc-1', reason: 'repeated_unanswered' },
        },
      ));

  it('starts at level 1 again once the memory has passed', () =>
    s
      .now(700)
      .given(
        submitted(),
        raised,
        responded(at(100)),
        escalationResolved(at(100)),
        attemptRecorded('a4', at(650)),
        attemptRecorded('a5', at(660)),
      )
      .when(recordAttempt('a6'))
      .thenMatches({ type: 'ContactAttemptRecorded' }, { type: 'EscalationRaised', data: { level: 1, notifyRole: 'team_manager' } }));
});

describe('priority', () => {
  it('keeps a requester’s urgent flag apart from the priority, which staff set: due dates run again from the received time', () => {
    s.now(0)
      .given()
      .when(submitRequest({ requesterFlaggedUrgent: true }))
      .thenState((state) =>
        expect(state).toMatchObject({ priority: 'normal', requesterFlaggedUrgent: true, due: { firstResponseAt: at(100) } }),
      );
    s.now(20)
      .given(submitted({ requesterFlaggedUrgent: true }))
      .when({ type: 'SetPriority', requestId: REQUEST_ID, priority: 'urgent', by: 'officer-1' })
      .then({
        type: 'PriorityChanged',
        data: {
          schemaVersion: 1,
          priority: 'urgent',
          by: 'officer-1',
          at: at(20),
          due: { firstResponseAt: at(50), resolutionAt: at(500) },
        },
      });
    s.now(20).given(submitted()).when({ type: 'SetPriority', requestId: REQUEST_ID, priority: 'normal', by: 'officer-1' }).thenNothing();
  });
});

describe('properties over any sequence of commands', () => {
  const command = fc.oneof(
    fc.record({ kind: fc.constant('attempt' as const), dt: fc.integer({ min: 0, max: 90 }) }),
    fc.record({ kind: fc.constant('reply' as const), full: fc.boolean(), dt: fc.integer({ min: 0, max: 90 }) }),
    fc.record({
      kind: fc.constant('tick' as const),
      clock: fc.constantFrom('first_response', 'resolution', 'update'),
      dt: fc.integer({ min: 0, max: 400 }),
    }),
    fc.record({ kind: fc.constant('ack' as const), dt: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('advance' as const), dt: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ kind: fc.constant('resolve' as const), dt: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ kind: fc.constant('reopen' as const), dt: fc.integer({ min: 0, max: 60 }) }),
  );

  it('a full reply leaves no open escalation, a holding reply never resolves one, and no clock is due before the request was received', () =>
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3600 }), fc.array(command, { maxLength: 40 }), (backdate, steps) => {
        const { decide, evolve } = contactRequestDecider;
        let now = atDate(0);
        let state: State = contactRequestDecider.initialState;
        const run = (c: ContactRequestCommand): ContactRequestEvent[] => {
          try {
            const events = decide(c, state, { now, policy: fastPolicy });
            state = events.reduce(evolve, state);
            return events;
          } catch {
            return []; // refused by a rule: nothing changes
          }
        };
        run(submitRequest({ receivedAt: new Date(now.getTime() - backdate * 1000).toISOString() }));
        steps.forEach((step, i) => {
          now = new Date(now.getTime() + step.dt * 1000);
          if (!isSubmitted(state)) return;
          const openBefore = state.escalation !== null && state.escalation.status !== 'resolved' ? state.escalation.id : null;
          switch (step.kind) {
            case 'attempt':
              run(recordAttempt(`a${i}`));
              break;
            case 'reply': {
              const events = run(recordResponse(`r${i}`, { kind: step.full ? 'full' : 'holding' }));
              if (events.length === 0 || !isSubmitted(state)) break;
              const escalation = state.escalation;
              if (step.full) expect(escalation === null || escalation.status === 'resolved').toBe(true);
              else if (openBefore !== null)
                expect(escalation).toMatchObject({ id: openBefore, status: expect.not.stringMatching('resolved') });
              break;
            }
            case 'tick':
              run(checkDeadline(step.clock as 'first_response'));
              break;
            case 'ack':
              if (openBefore) run({ type: 'AcknowledgeEscalation', requestId: REQUEST_ID, escalationId: openBefore, by: 'manager-1' });
              break;
            case 'advance':
              if (openBefore && state.escalation)
                run({ type: 'AdvanceEscalation', requestId: REQUEST_ID, escalationId: openBefore, expectedLevel: state.escalation.level });
              break;
            case 'resolve':
              run({
                type: 'ResolveRequest',
                requestId: REQUEST_ID,
                by: 'officer-1',
                outcome: 'done',
                withoutReply: state.firstEverRespondedAt ? undefined : { reason: 'withdrawn' },
              });
              break;
            case 'reopen':
              run({ type: 'ReopenRequest', requestId: REQUEST_ID, by: 'officer-1', reason: 'again' });
              break;
          }
          if (!isSubmitted(state)) return;
          const received = Date.parse(state.receivedAt);
          for (const due of [state.due.firstResponseAt, state.due.resolutionAt, state.updateDueAt])
            if (due) expect(Date.parse(due)).toBeGreaterThanOrEqual(received);
          for (const timer of nextTimers(state)) expect(Date.parse(timer.at)).toBeGreaterThanOrEqual(received);
        });
      }),
      { numRuns: 300 },
    ));
});
