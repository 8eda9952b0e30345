import { InvalidCommand, RequestClosed, RequestNotFound, RequestNotResolved } from '../index';
import {
  assignRequest,
  assigned,
  at,
  attemptRecorded,
  contactRequestSpec,
  escalationRaised,
  escalationResolved,
  reassigned,
  recordAttempt,
  reopenRequest,
  reopened,
  resolveRequest,
  resolved,
  responded,
  slaBreached,
  submitted,
} from '../testing/fixtures';

describe('AssignRequest', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('assigns an unassigned request', () =>
    s
      .given(submitted())
      .when(assignRequest('officer-1'))
      .thenState((state, events) => {
        expect(events).toEqual([assigned('officer-1', { at: at(0) })]); // dated: assignment has no other time
        expect(state).toMatchObject({ status: 'assigned', assignee: { officerId: 'officer-1', teamId: 'north' }, teamId: 'north' });
      }));

  it('on an assigned request emits RequestReassigned, naming the previous owner', () =>
    s
      .given(submitted(), assigned('officer-1'))
      .when(assignRequest('officer-3', { teamId: 'south' }))
      .then(reassigned('officer-3', { teamId: 'south', fromOfficerId: 'officer-1', fromTeamId: 'north', at: at(0) })));

  it('assigning to the current owner again is a retry: nothing', () =>
    s.given(submitted(), assigned('officer-1')).when(assignRequest('officer-1')).thenNothing());

  it('keeps status responded after a response', () =>
    s
      .now(30)
      .given(submitted(), assigned('officer-1'), responded(at(20)))
      .when(assignRequest('officer-2'))
      .thenState((state) => expect(state).toMatchObject({ status: 'responded', assignee: { officerId: 'officer-2' } })));

  it('refuses on a resolved request', () =>
    s
      .now(30)
      .given(submitted(), resolved(at(20)))
      .when(assignRequest())
      .thenThrows(RequestClosed));

  it('refuses on a request that does not exist', () => s.given().when(assignRequest()).thenThrows(RequestNotFound));

  it('refuses a command for another request than the stream holds', () =>
    s
      .given(submitted())
      .when(assignRequest('officer-1', { requestId: 'other' }))
      .thenThrows(InvalidCommand));
});

describe('ResolveRequest', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('resolves, stopping both clocks', () =>
    s
      .now(60)
      .given(submitted(), responded(at(50)))
      .when(resolveRequest())
      .thenState((state, events) => {
        expect(events).toEqual([resolved(at(60))]);
        expect(state).toMatchObject({ status: 'resolved', resolvedAt: at(60), resolvedBy: 'officer-1', outcome: 'answered' });
      }));

  it('resolving twice is refused (RequestClosed)', () =>
    s
      .now(70)
      .given(submitted(), resolved(at(60)))
      .when(resolveRequest())
      .thenThrows(RequestClosed));
});

describe('ReopenRequest', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('reopens a resolved request with clocks restarted from the reopen time (new due dates in the event)', () =>
    s
      .now(2000)
      .given(submitted(), responded(at(50)), resolved(at(60)))
      .when(reopenRequest())
      .then(reopened(at(2000), { due: { firstResponseAt: at(2100), resolutionAt: at(3000) } })));

  it('uses the request’s category and priority with the policy in force at the reopen', () =>
    s
      .now(2000)
      .given(submitted({ priority: 'urgent' }), resolved(at(60)))
      .when(reopenRequest())
      .thenMatches({ type: 'RequestReopened', data: { due: { firstResponseAt: at(2050), resolutionAt: at(2500) } } }));

  it('refuses to reopen a request that is not resolved (RequestNotResolved, 422)', () =>
    s
      .now(50)
      .given(submitted())
      .when(reopenRequest())
      .thenThrows(RequestNotResolved, (e) => expect(e).toMatchObject({ code: 'request_not_resolved', httpStatus: 422 })));

  it('a new period: unanswered attempts, breach flags and the first response reset; breach history stays', () =>
    s
      .now(2000)
      .given(
        submitted(),
        assigned('officer-1'),
        attemptRecorded('a1', at(10)),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ raisedAt: at(100), reason: 'sla_breached', unansweredCount: 1 }),
        responded(at(150)),
        escalationResolved(at(150)),
        attemptRecorded('a2', at(160)),
        resolved(at(200)),
      )
      .when(reopenRequest())
      .thenState((state) =>
        expect(state).toMatchObject({
          status: 'assigned',
          period: 1,
          unansweredCount: 0,
          firstRespondedAt: null,
          breached: { first_response: false, resolution: false },
          breaches: [{ clock: 'first_response', dueAt: at(100), breachedAt: at(100), period: 0 }],
          due: { firstResponseAt: at(2100), resolutionAt: at(3000) },
          resolvedAt: null,
        }),
      ));

  it('after a reopen the request takes attempts again, and they count from zero', () =>
    s
      .now(2030)
      .given(
        submitted(),
        attemptRecorded('a1', at(10)),
        attemptRecorded('a2', at(20)),
        resolved(at(30)),
        reopened(at(2000)),
        attemptRecorded('a3', at(2010)),
      )
      .when(recordAttempt('a4'))
      .thenState((state, events) => {
        expect(events).toEqual([attemptRecorded('a4', at(2030))]);
        expect(state).toMatchObject({ unansweredCount: 2 });
      }));

  it('the first-response clock runs again: an attempt past the new due time breaches the new period', () =>
    s
      .now(2100)
      .given(submitted(), responded(at(50)), slaBreached('resolution', at(1000), at(1000)), resolved(at(1100)), reopened(at(2000)))
      .when(recordAttempt('a1'))
      .thenMatches(
        { type: 'ContactAttemptRecorded' },
        { type: 'SlaBreached', data: { clock: 'first_response', dueAt: at(2100) } },
        { type: 'EscalationRaised', data: { reason: 'sla_breached', escalationId: 'esc-a1' } },
      ));
});
