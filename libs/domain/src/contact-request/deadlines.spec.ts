import { defaultPolicy } from '@send/sla';
import {
  at,
  attemptRecorded,
  checkDeadline,
  contactRequestSpec,
  escalationRaised,
  escalationResolved,
  reopened,
  resolved,
  responded,
  slaBreached,
  submitted,
} from '../testing/fixtures';

describe('CheckDeadline(first_response)', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('past the due time with no response: SlaBreached and level 1 (sla_breached), carrying the unanswered count', () =>
    s
      .now(100)
      .given(submitted(), attemptRecorded('a1', at(10)))
      .when(checkDeadline('first_response', { escalationId: 'esc-fr' }))
      .then(
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ escalationId: 'esc-fr', reason: 'sla_breached', unansweredCount: 1, raisedAt: at(100), ackDueAt: at(110) }),
      ));

  it('raises even with no attempts: the request itself went unanswered', () =>
    s
      .now(105)
      .given(submitted())
      .when(checkDeadline('first_response'))
      .then(
        slaBreached('first_response', at(100), at(105)),
        escalationRaised({
          escalationId: 'esc-7b0b6d3e-2f0e-4c55-9d53-1a1f3e2c9a01-first_response-p0',
          reason: 'sla_breached',
          unansweredCount: 0,
          raisedAt: at(105),
        }),
      ));

  it('records the breach but raises no second escalation when one is open', () =>
    s
      .now(100)
      .given(
        submitted(),
        attemptRecorded('a1', at(10)),
        attemptRecorded('a2', at(20)),
        attemptRecorded('a3', at(30)),
        escalationRaised({ raisedAt: at(30) }),
      )
      .when(checkDeadline('first_response'))
      .then(slaBreached('first_response', at(100), at(100))));

  it('a timer that fires early yields nothing', () => s.now(99).given(submitted()).when(checkDeadline('first_response')).thenNothing());

  it('a stale timer (the request was answered) yields nothing', () =>
    s
      .now(150)
      .given(submitted(), responded(at(50)))
      .when(checkDeadline('first_response'))
      .thenNothing());

  it('records the breach once per clock: a second firing yields nothing', () =>
    s
      .now(200)
      .given(
        submitted(),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ raisedAt: at(100), reason: 'sla_breached', unansweredCount: 0 }),
      )
      .when(checkDeadline('first_response'))
      .thenNothing());

  it('once per clock even after the escalation it raised was resolved by a response', () =>
    s
      .now(200)
      .given(
        submitted(),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ raisedAt: at(100), reason: 'sla_breached', unansweredCount: 0 }),
        responded(at(150)),
        escalationResolved(at(150)),
      )
      .when(checkDeadline('first_response'))
      .thenNothing());

  it('a resolved request yields nothing', () =>
    s
      .now(150)
      .given(submitted(), resolved(at(50)))
      .when(checkDeadline('first_response'))
      .thenNothing());

  it('uses working time on the default calendar: the ack window of P2D starts at the breach and ends at the close of its second working day', () =>
    s
      .policy(defaultPolicy)
      .now('2026-03-11T16:00:00.000Z')
      .given(
        submitted({
          submittedAt: '2026-03-06T16:00:00.000Z',
          due: { firstResponseAt: '2026-03-11T16:00:00.000Z', resolutionAt: '2026-03-20T16:00:00.000Z' },
        }),
      )
      .when(checkDeadline('first_response', { escalationId: 'esc-fr' }))
      .then(
        slaBreached('first_response', '2026-03-11T16:00:00.000Z', '2026-03-11T16:00:00.000Z'),
        escalationRaised({
          escalationId: 'esc-fr',
          reason: 'sla_breached',
          unansweredCount: 0,
          raisedAt: '2026-03-11T16:00:00.000Z',
          ackDueAt: '2026-03-13T17:00:00.000Z',
        }),
      ));
});

describe('CheckDeadline(resolution)', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);

  it('past the resolution due time and not resolved: SlaBreached, no escalation', () =>
    s
      .now(1000)
      .given(submitted(), responded(at(50)))
      .when(checkDeadline('resolution'))
      .then(slaBreached('resolution', at(1000), at(1000))));

  it('runs independently of the first-response clock (both breached)', () =>
    s
      .now(1001)
      .given(
        submitted(),
        slaBreached('first_response', at(100), at(100)),
        escalationRaised({ raisedAt: at(100), reason: 'sla_breached', unansweredCount: 0 }),
      )
      .when(checkDeadline('resolution'))
      .then(slaBreached('resolution', at(1000), at(1001))));

  it('early: nothing', () => s.now(999).given(submitted()).when(checkDeadline('resolution')).thenNothing());

  it('resolved in time: nothing', () =>
    s
      .now(1000)
      .given(submitted(), responded(at(50)), resolved(at(500)))
      .when(checkDeadline('resolution'))
      .thenNothing());

  it('once per clock', () =>
    s
      .now(1200)
      .given(submitted(), slaBreached('resolution', at(1000), at(1000)))
      .when(checkDeadline('resolution'))
      .thenNothing());
});

describe('CheckDeadline after a reopen', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);
  const reopenedAt = at(2000);

  it('the old period’s breach does not stop a breach of the new period’s clock', () =>
    s
      .now(3000)
      .given(submitted(), slaBreached('resolution', at(1000), at(1000)), resolved(at(1500)), reopened(reopenedAt))
      .when(checkDeadline('resolution'))
      .then(slaBreached('resolution', at(3000), at(3000))));

  it('checks against the restarted due time, not the original one', () =>
    s
      .now(2050)
      .given(submitted(), responded(at(50)), resolved(at(500)), reopened(reopenedAt))
      .when(checkDeadline('first_response'))
      .thenNothing());
});
