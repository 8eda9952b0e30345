import { MAX_RENOTIFICATIONS, nextTimers, replay, type ContactRequestEvent } from '../index';
import {
  REQUEST_ID,
  at,
  attemptRecorded,
  escalationAcknowledged,
  escalationAdvanced,
  escalationRaised,
  escalationRenotified,
  escalationResolved,
  reopened,
  resolved,
  responded,
  slaBreached,
  submitted,
} from '../testing/fixtures';

const timersAfter = (...events: ContactRequestEvent[]) => nextTimers(replay(events));
const deadline = (clock: 'first_response' | 'resolution', atIso: string, suffix = '') => ({
  kind: 'deadline',
  key: `deadline:${REQUEST_ID}:${clock}${suffix}`,
  at: atIso,
  command: { type: 'CheckDeadline', requestId: REQUEST_ID, clock },
});
const escalation = (level: number, phase: 'ack' | 'respond', atIso: string, suffix = '') => ({
  kind: 'escalation',
  key: `escalation:${REQUEST_ID}:esc-1:${level}:${phase}${suffix}`,
  at: atIso,
  phase,
  command: { type: 'AdvanceEscalation', requestId: REQUEST_ID, escalationId: 'esc-1', expectedLevel: level },
});

describe('nextTimers', () => {
  it('no stream: none', () => expect(nextTimers(replay([]))).toEqual([]));

  it('a new request: both deadlines', () =>
    expect(timersAfter(submitted())).toEqual([deadline('first_response', at(100)), deadline('resolution', at(1000))]));

  it('after a first response: only the resolution deadline', () =>
    expect(timersAfter(submitted(), responded(at(50)))).toEqual([deadline('resolution', at(1000))]));

  it('after a breach of a clock: no timer for that clock', () =>
    expect(timersAfter(submitted(), slaBreached('first_response', at(100), at(100)))).toEqual([deadline('resolution', at(1000))]));

  it('a failed call-back changes nothing', () =>
    expect(timersAfter(submitted(), { type: 'CallBackFailed', data: { schemaVersion: 1, officerId: 'o', at: at(5) } })).toHaveLength(2));

  it('an open escalation: its ack timer', () =>
    expect(timersAfter(submitted(), attemptRecorded('a1', at(10)), escalationRaised({ raisedAt: at(30) }))).toEqual([
      deadline('first_response', at(100)),
      deadline('resolution', at(1000)),
      escalation(1, 'ack', at(40)),
    ]));

  it('an acknowledged escalation: its respond timer (new key)', () =>
    expect(timersAfter(submitted(), escalationRaised({ raisedAt: at(30) }), escalationAcknowledged({ at: at(35) })).slice(2)).toEqual([
      escalation(1, 'respond', at(55)),
    ]));

  it('an advanced escalation: the new level’s ack timer', () =>
    expect(
      timersAfter(submitted(), escalationRaised({ raisedAt: at(30) }), escalationAdvanced({ at: at(40), ackDueAt: at(70) })).slice(2),
    ).toEqual([escalation(2, 'ack', at(70))]));

  it('re-notified at the last level: a fresh key per round; none once the bound is reached', () => {
    const atLevel3 = [
      submitted(),
      escalationRaised({ raisedAt: at(30) }),
      escalationAdvanced({ at: at(40), ackDueAt: at(70) }),
      escalationAdvanced({ fromLevel: 2, toLevel: 3, notifyRole: 'head_of_service', at: at(70), ackDueAt: at(120) }),
    ];
    expect(timersAfter(...atLevel3).slice(2)).toEqual([escalation(3, 'ack', at(120))]);
    expect(timersAfter(...atLevel3, escalationRenotified({ renotification: 1, at: at(120), ackDueAt: at(170) })).slice(2)).toEqual([
      escalation(3, 'ack', at(170), ':r1'),
    ]);
    const all = Array.from({ length: MAX_RENOTIFICATIONS }, (_, i) =>
      escalationRenotified({ renotification: i + 1, at: at(120 + i), ackDueAt: at(170 + i) }),
    );
    expect(timersAfter(...atLevel3, ...all).slice(2)).toEqual([]);
  });

  it('a resolved escalation: no escalation timer', () =>
    expect(timersAfter(submitted(), escalationRaised({ raisedAt: at(30) }), responded(at(35)), escalationResolved(at(35)))).toEqual([
      deadline('resolution', at(1000)),
    ]));

  it('a resolved request: none', () => expect(timersAfter(submitted(), resolved(at(50)))).toEqual([]));

  it('a reopened request: both restarted deadlines, keys suffixed with the period', () =>
    expect(timersAfter(submitted(), resolved(at(50)), reopened(at(2000)))).toEqual([
      deadline('first_response', at(2100), ':p1'),
      deadline('resolution', at(3000), ':p1'),
    ]));

  it('is deterministic: the same events give the same timers', () => {
    const events = [submitted(), attemptRecorded('a1', at(10)), escalationRaised({ raisedAt: at(30) })];
    expect(timersAfter(...events)).toEqual(timersAfter(...events));
  });
});
