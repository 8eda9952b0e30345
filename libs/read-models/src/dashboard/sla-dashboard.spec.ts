import fc from 'fast-check';
import { v4 as uuid } from 'uuid';
import type { ContactRequestEvent } from '@send/domain';
import {
  at,
  attemptRecorded,
  assigned,
  escalationAdvanced,
  escalationRaised,
  escalationResolved,
  fastPolicy,
  resolved,
  responded,
  slaBreached,
  submitted,
  T0,
} from '@send/domain/testing/fixtures';
import { defaultPolicy } from '@send/sla';
import { applyToRequestRecord, type RequestRecord } from '../request-view/request-view';
import { computeSlaDashboard, percentile } from './sla-dashboard';
import { dashboardRowOf } from './dashboard-row';

const rows = (records: readonly RequestRecord[]) => records.map(dashboardRowOf);

const H = 3600;
/** A request record folded from domain events, as the projection would. */
function record(...events: ContactRequestEvent[]): RequestRecord {
  return events.reduce<RequestRecord | null>(
    (r, e) => applyToRequestRecord(r, { type: e.type, data: e.data, recordedAt: new Date(T0) }),
    null,
  )!;
}
const submit = (over: Parameters<typeof submitted>[0] = {}) =>
  submitted({ requestId: uuid(), due: { firstResponseAt: at(4 * H), resolutionAt: at(48 * H) }, ...over });

describe('computeSlaDashboard', () => {
  // 24/7 calendar: working hours are elapsed hours. Each request due a first response after 4 h.
  const onTime = record(submit(), assigned('officer-1'), responded(at(1 * H)), resolved(at(2 * H)));
  const late = record(
    submit({ category: 'complaint' }),
    assigned('officer-2', { teamId: 'south' }),
    slaBreached('first_response', at(4 * H), at(4 * H)),
    responded(at(5 * H)),
  );
  const waiting = record(
    submit({ requester: { role: 'school', name: 'S', email: '' } }),
    attemptRecorded('a1', at(1 * H)),
    attemptRecorded('a2', at(2 * H)),
    attemptRecorded('a3', at(3 * H)),
    escalationRaised({ escalationId: 'e1', raisedAt: at(3 * H) }),
    escalationAdvanced({ escalationId: 'e1', at: at(4 * H), ackDueAt: at(5 * H) }),
  );
  const answered = record(
    submit({ submittedAt: at(-7 * 24 * H) }), // the week before
    attemptRecorded('b1', at(-7 * 24 * H + H)),
    responded(at(-7 * 24 * H + 3 * H)),
    escalationRaised({ escalationId: 'e2', raisedAt: at(-7 * 24 * H + 2 * H) }),
    escalationResolved(at(-7 * 24 * H + 3 * H), { escalationId: 'e2' }),
  );
  const records = [onTime, late, waiting, answered];
  const now = new Date(at(6 * H));

  it('counts open, overdue, breached, first response within SLA and its percentiles', () => {
    const d = computeSlaDashboard(rows(records), { now, policy: fastPolicy });
    expect(d).toMatchObject({
      total: 4,
      open: 3, // all but onTime
      overdue: 1, // waiting: no first response 2 h after it was due
      breached: 1,
      firstResponse: { total: 4, withinSla: 2, p50Hours: 3, p90Hours: 5 }, // 1 h, 3 h, 5 h responded (nearest rank); waiting due and not done
      unanswered: { requestsWithUnanswered: 1, attempts: 3 },
      escalations: { open: 1, total: 2, byLevel: { '1': 1, '2': 1 } },
    });
  });

  it('slices by officer, team, category, requester role and week', () => {
    const d = computeSlaDashboard(rows(records), { now, policy: fastPolicy });
    expect(d.byOfficer.map((o) => [o.officerId, o.total, o.firstResponse.withinSla])).toEqual([
      ['officer-1', 1, 1],
      ['officer-2', 1, 0],
    ]);
    expect(d.byTeam.map((t) => [t.teamId, t.total])).toEqual([
      ['north', 1],
      ['south', 1],
      ['unrouted', 2],
    ]);
    expect(d.byCategory.map((c) => [c.category, c.total])).toEqual([
      ['complaint', 1],
      ['ehc_assessment', 3],
    ]);
    expect(d.byRequesterRole.map((r) => [r.requesterRole, r.total, r.unanswered.attempts])).toEqual([
      ['parent', 3, 0],
      ['school', 1, 3],
    ]);
    expect(d.byWeek.map((w) => [w.week, w.total])).toEqual([
      ['2026-02-23', 1],
      ['2026-03-02', 3],
    ]);
  });

  it('scopes by submission date [from, to) and by team', () => {
    expect(computeSlaDashboard(rows(records), { now, policy: fastPolicy, from: T0 }).total).toBe(3);
    expect(computeSlaDashboard(rows(records), { now, policy: fastPolicy, to: T0 }).total).toBe(1);
    const south = computeSlaDashboard(rows(records), { now, policy: fastPolicy, teamId: 'south' });
    expect(south).toMatchObject({ total: 1, teamId: 'south', breached: 1, byOfficer: [{ officerId: 'officer-2' }] });
  });

  it('is a picture at `now`: earlier, the waiting request was not overdue yet', () => {
    const d = computeSlaDashboard(rows([waiting]), { now: new Date(at(3.5 * H)), policy: fastPolicy });
    expect(d).toMatchObject({ overdue: 0, firstResponse: { total: 0, withinSla: 0, p50Hours: null } });
  });

  it('measures first response in working hours of the policy calendar', () => {
    // Friday 16:00 to Monday 10:00 in Mon–Fri 09:00–17:00: one hour each side of the weekend.
    const friday = '2026-02-27T16:00:00.000Z';
    const r = record(
      submitted({
        requestId: uuid(),
        submittedAt: friday,
        due: { firstResponseAt: '2026-03-04T16:00:00.000Z', resolutionAt: '2026-03-13T16:00:00.000Z' },
      }),
      responded('2026-03-02T10:00:00.000Z'),
    );
    const d = computeSlaDashboard(rows([r]), { now: new Date('2026-03-03T00:00:00Z'), policy: defaultPolicy });
    expect(d.firstResponse).toEqual({ total: 1, withinSla: 1, p50Hours: 2, p90Hours: 2 });
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });

  describe('properties', () => {
    // Arbitrary request histories: offsets in hours from T0 for submission, attempts, response, resolution.
    const history = fc.record({
      submittedH: fc.integer({ min: 0, max: 500 }),
      category: fc.constantFrom('general', 'complaint', 'transport'),
      attemptsH: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 }),
      respondH: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      resolveH: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      team: fc.constantFrom('north', 'south', null),
    });
    type History = typeof history extends fc.Arbitrary<infer T> ? T : never;
    const build = (h: History): RequestRecord => {
      const s = h.submittedH * H;
      const events: ContactRequestEvent[] = [
        submitted({
          requestId: uuid(),
          category: h.category as any,
          submittedAt: at(s),
          due: { firstResponseAt: at(s + 24 * H), resolutionAt: at(s + 96 * H) },
        }),
      ];
      if (h.team) events.push(assigned('officer-' + h.team, { teamId: h.team }));
      for (const a of h.attemptsH) events.push(attemptRecorded(uuid(), at(s + a * H)));
      if (h.respondH !== null) events.push(responded(at(s + h.respondH * H)));
      if (h.resolveH !== null) events.push(resolved(at(s + Math.max(h.resolveH, h.respondH ?? 0) * H)));
      return record(...events);
    };

    it('keeps the counts consistent: withinSla <= total, p50 <= p90, slices add up', () => {
      fc.assert(
        fc.property(fc.array(history, { maxLength: 25 }), fc.integer({ min: 0, max: 800 }), (histories, nowH) => {
          const d = computeSlaDashboard(rows(histories.map(build)), { now: new Date(at(nowH * H)), policy: fastPolicy });
          expect(d.firstResponse.withinSla).toBeLessThanOrEqual(d.firstResponse.total);
          expect(d.overdue).toBeLessThanOrEqual(d.open);
          expect(d.open).toBeLessThanOrEqual(d.total);
          expect(d.unanswered.requestsWithUnanswered).toBeLessThanOrEqual(d.unanswered.attempts);
          if (d.firstResponse.p50Hours !== null) expect(d.firstResponse.p50Hours).toBeLessThanOrEqual(d.firstResponse.p90Hours!);
          for (const slices of [d.byTeam, d.byCategory, d.byRequesterRole, d.byWeek]) {
            expect(slices.reduce((n, s) => n + s.total, 0)).toBe(d.total);
            expect(slices.reduce((n, s) => n + s.firstResponse.withinSla, 0)).toBe(d.firstResponse.withinSla);
            expect(slices.reduce((n, s) => n + s.overdue, 0)).toBe(d.overdue);
          }
        }),
        { numRuns: 150 },
      );
    });

    it('does not depend on the order of the records', () => {
      fc.assert(
        fc.property(fc.array(history, { minLength: 1, maxLength: 15 }), (histories) => {
          const records = histories.map(build);
          const options = { now: new Date(at(600 * H)), policy: fastPolicy };
          expect(computeSlaDashboard(rows([...records].reverse()), options)).toEqual(computeSlaDashboard(rows(records), options));
        }),
        { numRuns: 50 },
      );
    });
  });
});
