/**
 * Whole stories: commands from people, plus a simulated worker that fires whatever `nextTimers`
 * lists, in time order, as the process manager would. Shows that decide, evolve and nextTimers
 * agree, and that the timer loop always ends (re-notification is bounded).
 */
import { defaultPolicy, type Policy } from '@send/sla';
import { decide, evolve, initialState, nextTimers, type ContactRequestCommand, type ContactRequestEvent, type State } from '../index';
import { acknowledgeEscalation, at, fastPolicy, recordAttempt, recordResponse, submitRequest } from '../testing/fixtures';

class World {
  state: State = initialState;
  log: Array<{ at: string; type: string; data: ContactRequestEvent['data'] }> = [];
  constructor(private readonly policy: Policy) {}

  run(command: ContactRequestCommand, nowIso: string): ContactRequestEvent[] {
    const events = decide(command, this.state, { now: new Date(nowIso), policy: this.policy });
    for (const e of events) {
      this.state = evolve(this.state, e);
      this.log.push({ at: nowIso, type: e.type, data: e.data });
    }
    return events;
  }

  /** Fire due timers in order until `untilIso` (or until none is left). */
  advanceTo(untilIso: string): void {
    for (let i = 0; i < 100; i++) {
      const due = nextTimers(this.state)
        .filter((t) => Date.parse(t.at) <= Date.parse(untilIso))
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.key.localeCompare(b.key));
      if (due.length === 0) return;
      const before = this.state;
      this.run(due[0]!.command, due[0]!.at);
      if (this.state === before) throw new Error(`timer ${due[0]!.key} fired and changed nothing, but is still listed`);
    }
    throw new Error('timer loop did not settle within 100 firings');
  }

  types(): string[] {
    return this.log.map((e) => e.type);
  }
}

describe('story: a family keeps trying and nobody answers (24/7 policy)', () => {
  it('climbs the chain, breaches both clocks, re-notifies the head of service a bounded number of times, then settles', () => {
    const w = new World(fastPolicy);
    w.run(submitRequest(), at(0));
    w.run(recordAttempt('a1'), at(10));
    w.run(recordAttempt('a2'), at(20));
    w.run(recordAttempt('a3'), at(30));
    w.advanceTo(at(100_000));
    expect(w.log.map((e) => `${e.at.slice(11, 19)} ${e.type}`)).toEqual([
      '10:00:00 ContactRequestSubmitted',
      '10:00:10 ContactAttemptRecorded',
      '10:00:20 ContactAttemptRecorded',
      '10:00:30 ContactAttemptRecorded',
      '10:00:30 EscalationRaised', // threshold 3, team_manager, ack by 40
      '10:00:40 EscalationAdvanced', // -> service_manager, ack by 70
      '10:01:10 EscalationAdvanced', // -> head_of_service, ack by 120
      '10:01:40 SlaBreached', // first response due at 100
      '10:02:00 EscalationRenotified',
      '10:02:50 EscalationRenotified',
      '10:03:40 EscalationRenotified',
      '10:16:40 SlaBreached', // resolution due at 1000
    ]);
    expect(nextTimers(w.state)).toEqual([]);
  });
});

describe('story: a manager acknowledges and an officer calls back (24/7 policy)', () => {
  it('the response resolves the escalation and leaves only the resolution deadline', () => {
    const w = new World(fastPolicy);
    w.run(submitRequest(), at(0));
    ['a1', 'a2', 'a3'].forEach((id, i) => w.run(recordAttempt(id), at(10 * (i + 1))));
    w.advanceTo(at(35));
    w.run(acknowledgeEscalation('esc-a3'), at(35)); // respond by 55
    w.run(recordAttempt('a4'), at(40)); // counted on the open escalation
    w.advanceTo(at(50));
    w.run(recordResponse('r1'), at(50));
    w.advanceTo(at(999));
    expect(w.types()).toEqual([
      'ContactRequestSubmitted',
      'ContactAttemptRecorded',
      'ContactAttemptRecorded',
      'ContactAttemptRecorded',
      'EscalationRaised',
      'EscalationAcknowledged',
      'ContactAttemptRecorded',
      'OfficerResponded',
      'EscalationResolved',
    ]);
    expect(w.state).toMatchObject({ status: 'responded', unansweredCount: 0, escalation: { status: 'resolved', unansweredCount: 4 } });
    expect(nextTimers(w.state).map((t) => t.key)).toEqual([`deadline:${submitRequest().requestId}:resolution`]);
  });
});

describe('story: working time on the default policy (Mon–Fri 09:00–17:00, England and Wales holidays)', () => {
  it('submitted Thursday before Easter: deadlines skip Good Friday, the weekend and Easter Monday', () => {
    // Easter 2026: Good Friday 3 April, Easter Monday 6 April. BST from 29 March (UTC+1).
    const w = new World(defaultPolicy);
    w.run(submitRequest(), '2026-04-02T14:00:00.000Z'); // Thu 15:00 London
    expect(w.state).toMatchObject({
      due: {
        // P3D: Tue 7, Wed 8, Thu 9 April, by its close (17:00 London; end_of_day).
        firstResponseAt: '2026-04-09T16:00:00.000Z',
        // P10D: Tue 7 .. Fri 10 (4), Mon 13 .. Fri 17 (5), Mon 20 (1), by its close.
        resolutionAt: '2026-04-20T16:00:00.000Z',
      },
    });
    w.advanceTo('2026-04-09T16:00:00.000Z');
    expect(w.types()).toEqual(['ContactRequestSubmitted', 'SlaBreached', 'EscalationRaised']);
    // Level 1 ack within P2D from Thu 9 April 17:00: Mon 13 April 17:00 London.
    expect(w.state).toMatchObject({ escalation: { level: 1, reason: 'sla_breached', ackDueAt: '2026-04-13T16:00:00.000Z' } });
  });
});
