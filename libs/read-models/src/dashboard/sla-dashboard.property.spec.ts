import fc from 'fast-check';
import { v4 as uuid } from 'uuid';
import { decide, evolve, initialState, type ContactRequestCommand, type ContactRequestEvent, type State } from '@send/domain';
import { fastPolicy, T0 } from '@send/domain/testing/fixtures';
import { applyToRequestRecord, type RequestRecord } from '../request-view/request-view';
import { commandOf, countFromEvents, figuresOfDashboard, requestHistory, submitOf, type RequestHistory } from '../testing/dashboard-count';
import { dashboardRowOf } from './dashboard-row';
import { computeSlaDashboard } from './sla-dashboard';

/**
 * The dashboard against a count made in the test from the events of random request histories,
 * played through the domain's decider with fastPolicy (24/7: working hours are elapsed hours).
 */

/** Plays a history through the decider in memory: its events, and when the last happened. */
function play(h: RequestHistory, n: number): { events: ContactRequestEvent[]; endS: number } {
  const requestId = uuid();
  let state: State = initialState;
  let s = h.startS;
  const events: ContactRequestEvent[] = [];
  const run = (command: ContactRequestCommand | null) => {
    if (!command) return;
    try {
      for (const e of decide(command, state, { now: new Date(Date.parse(T0) + s * 1000), policy: fastPolicy })) {
        events.push(e);
        state = evolve(state, e);
      }
    } catch {
      // a command the rules refuse here (resolve twice, acknowledge a resolved escalation...): as a user would see, nothing happens
    }
  };
  run(submitOf(h, requestId, n));
  for (const step of h.steps) {
    s += step.dt;
    run(commandOf(step, requestId, state, new Date(Date.parse(T0) + s * 1000)));
  }
  return { events, endS: s };
}

describe('the dashboard agrees with a count made from the events of random histories', () => {
  it('first response (denominator, within SLA, censored percentiles), attempts, breaches by owner, escalation levels, MP beside parents and schools', () => {
    fc.assert(
      fc.property(fc.array(requestHistory, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 400 }), (histories, laterS) => {
        const played = histories.map((h, i) => play(h, i + 1));
        const now = Date.parse(T0) + (Math.max(...played.map((p) => p.endS)) + laterS) * 1000;
        const records = played
          .map((p) =>
            p.events.reduce<RequestRecord | null>(
              (r, e) => applyToRequestRecord(r, { type: e.type, data: e.data, recordedAt: new Date(T0) }),
              null,
            ),
          )
          .filter((r): r is RequestRecord => r !== null);
        const d = computeSlaDashboard(records.map(dashboardRowOf), { now: new Date(now), policy: fastPolicy });
        expect(figuresOfDashboard(d)).toEqual(
          countFromEvents(
            played.map((p) => p.events),
            now,
          ),
        );
        expect(d.total).toBe(records.length);
      }),
      { numRuns: 200 },
    );
  });

  it('as of any earlier instant too: the figures of the events that had happened by then', () => {
    fc.assert(
      fc.property(
        fc.array(requestHistory, { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (histories, fraction) => {
          const played = histories.map((h, i) => play(h, i + 1));
          const last = Math.max(...played.map((p) => p.endS));
          const asOf = Date.parse(T0) + Math.floor(last * fraction) * 1000;
          // As the as-of replay does: only events whose own time is at or before asOf.
          const timeOf = (e: ContactRequestEvent) => {
            const d = e.data as { at?: string; raisedAt?: string; breachedAt?: string; submittedAt?: string };
            return Date.parse(d.at ?? d.raisedAt ?? d.breachedAt ?? d.submittedAt ?? T0);
          };
          const kept = played.map((p) => {
            const events: ContactRequestEvent[] = [];
            let time = -Infinity;
            for (const e of p.events) {
              time = Math.max(time, timeOf(e)); // undated events (assignments) go with the event before them
              if (time <= asOf) events.push(e);
            }
            return events;
          });
          const records = kept
            .map((events) =>
              events.reduce<RequestRecord | null>(
                (r, e) => applyToRequestRecord(r, { type: e.type, data: e.data, recordedAt: new Date(T0) }),
                null,
              ),
            )
            .filter((r): r is RequestRecord => r !== null);
          const d = computeSlaDashboard(records.map(dashboardRowOf), { now: new Date(asOf), policy: fastPolicy });
          expect(figuresOfDashboard(d)).toEqual(countFromEvents(kept, asOf));
        },
      ),
      { numRuns: 100 },
    );
  });
});
