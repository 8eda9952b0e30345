import fc from 'fast-check';
import { v4 as uuid } from 'uuid';
import type { ContactRequestEvent } from '@send/domain';
import {
  at,
  attemptRecorded,
  assigned,
  escalationAcknowledged,
  escalationAdvanced,
  escalationRaised,
  escalationResolved,
  fastPolicy,
  reassigned,
  resolved,
  responded,
  slaBreached,
  submitted,
  T0,
} from '@send/domain/testing/fixtures';
import { defaultPolicy } from '@send/sla';
import { applyToRequestRecord, type RequestRecord } from '../request-view/request-view';
import { DateTime } from 'luxon';
import { computeSlaDashboard, percentile, weeksOf } from './sla-dashboard';
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
      breaches: { total: 1, firstResponse: 1, resolution: 0 },
      unanswered: { requestsWithUnanswered: 1, attempts: 3 },
      attemptsPerRequest: { total: 4, max: 3, p90: 3, tenOrMore: 0 }, // 0, 0, 3, 1
      escalations: { open: 1, total: 2, byLevel: { '1': 1, '2': 1 }, reachedLevel: { '1': 2, '2': 1 } },
    });
    // Every request is past its due time (T0 + 4 h); waiting counts at its age, 6 h, censored:
    // 1, 3, 5, 6+ -> p50 = 3 h (exact: two answered at or below it), p90 = 6 h (a lower bound).
    expect(d.firstResponse).toEqual({
      total: 4,
      withinSla: 2,
      answeredLate: 1,
      unanswered: 1,
      withinSlaPercent: 50,
      notYetDue: 0,
      closedBeforeDue: 0,
      measured: 4,
      censored: 1,
      p50Hours: 3,
      p90Hours: 6,
      p50LowerBound: false,
      p90LowerBound: true,
    });
    // e1: 1 h at level 1 (advanced), 2 h at level 2 so far; e2: resolved after 1 h at level 1. Nothing acknowledged.
    expect(d.escalations.acknowledgeByLevel).toEqual({
      '1': { acknowledged: 0, measured: 2, censored: 2, p50Hours: 1, p90Hours: 1, p50LowerBound: true, p90LowerBound: true },
      '2': { acknowledged: 0, measured: 1, censored: 1, p50Hours: 2, p90Hours: 2, p50LowerBound: true, p90LowerBound: true },
    });
  });

  it('first response within SLA: the denominator is every request due by now, answered or not; answered early but not yet due waits outside it', () => {
    const early = record(submit({ due: { firstResponseAt: at(10 * H), resolutionAt: at(48 * H) } }), responded(at(1 * H)));
    const notDue = record(submit({ due: { firstResponseAt: at(10 * H), resolutionAt: at(48 * H) } }));
    const due = record(submit());
    const d = computeSlaDashboard(rows([early, notDue, due]), { now: new Date(at(5 * H)), policy: fastPolicy });
    expect(d.firstResponse).toMatchObject({ total: 1, withinSla: 0, unanswered: 1, withinSlaPercent: 0, notYetDue: 2 });
    // The percentiles still count all three: 1 h answered, 5 h and 5 h waiting.
    expect(d.firstResponse).toMatchObject({ measured: 3, censored: 2, p50Hours: 5, p50LowerBound: true });
  });

  it('a percentile on an answered value is still a lower bound when waits still running lie below it', () => {
    const young = record(submit({ submittedAt: at(5 * H) })); // waiting 1 h at now = 6 h
    const a = record(submit(), responded(at(2 * H)));
    const b = record(submit(), responded(at(3 * H)));
    const d = computeSlaDashboard(rows([young, a, b]), { now: new Date(at(6 * H)), policy: fastPolicy });
    // 1+, 2, 3: p50 = 2 h, but the young one may end above 3 h, so the median is only known to be >= 2 h.
    expect(d.firstResponse).toMatchObject({ p50Hours: 2, p50LowerBound: true, p90Hours: 3, p90LowerBound: true });
    const later = computeSlaDashboard(rows([record(submit({ submittedAt: at(5 * H) }), responded(at(9 * H))), a, b]), {
      now: new Date(at(10 * H)),
      policy: fastPolicy,
    });
    expect(later.firstResponse).toMatchObject({ p50Hours: 3, p50LowerBound: false, p90Hours: 4, p90LowerBound: false, censored: 0 });
  });

  it('resolved without a reply: counted apart by reason; withdrawn stays censored when it was closed, duplicates are left out, answered outside counts at its date', () => {
    const withdrawnEarly = record(submit(), resolved(at(2 * H), { withoutReply: { reason: 'withdrawn' } }));
    const withdrawnLate = record(submit(), resolved(at(5 * H), { withoutReply: { reason: 'withdrawn' } }));
    const duplicate = record(submit(), resolved(at(1 * H), { withoutReply: { reason: 'duplicate' } }));
    const outside = record(submit(), resolved(at(6 * H), { withoutReply: { reason: 'answered_outside', answeredAt: at(3 * H) } }));
    const d = computeSlaDashboard(rows([withdrawnEarly, withdrawnLate, duplicate, outside]), {
      now: new Date(at(8 * H)),
      policy: fastPolicy,
    });
    expect(d.resolvedWithoutReply).toEqual({ withdrawn: 2, duplicate: 1, answeredOutside: 1 });
    // Due at 4 h: the early withdrawal was never due; the late one was due and unanswered; outside answered in time.
    expect(d.firstResponse).toMatchObject({ total: 2, withinSla: 1, unanswered: 1, closedBeforeDue: 1, notYetDue: 0 });
    // Waits 2+, 5+, 3 (the duplicate is not counted).
    expect(d.firstResponse).toMatchObject({ measured: 3, censored: 2, p50Hours: 3, p50LowerBound: true, p90Hours: 5, p90LowerBound: true });
  });

  it('waits start when the contact was received, not when staff typed it in', () => {
    const letter = record(submit({ submittedAt: at(10 * H), receivedAt: at(2 * H) }), responded(at(11 * H)));
    const d = computeSlaDashboard(rows([letter]), { now: new Date(at(12 * H)), policy: fastPolicy });
    expect(d.firstResponse).toMatchObject({ p50Hours: 9, censored: 0 });
  });

  it('breaches belong to the officer and team that owned the request when the clock ran out', () => {
    const moved = record(
      submit(),
      assigned('officer-1', { teamId: 'north' }),
      slaBreached('first_response', at(4 * H), at(4 * H)),
      reassigned('officer-2', { teamId: 'south' }),
      responded(at(5 * H)),
    );
    const d = computeSlaDashboard(rows([moved]), { now, policy: fastPolicy });
    expect(d.byOfficer.map((o) => [o.officerId, o.total, o.breached, o.breaches.firstResponse])).toEqual([
      ['officer-1', 0, 1, 1], // owns nothing now, but the breach was theirs
      ['officer-2', 1, 0, 0],
    ]);
    expect(d.byTeam.map((t) => [t.teamId, t.total, t.breached])).toEqual([
      ['north', 0, 1],
      ['south', 1, 0],
    ]);
    // North's dashboard: none of its requests now, but the breach it owned.
    const north = computeSlaDashboard(rows([moved]), { now, policy: fastPolicy, teamId: 'north' });
    expect(north).toMatchObject({ total: 0, breached: 0, byTeam: [{ teamId: 'north', total: 0, breached: 1 }] });
    expect(north.byOfficer).toEqual([expect.objectContaining({ officerId: 'officer-1', total: 0, breached: 1 })]);
  });

  it('attempts per request: total, max, p90 and requests with 10 or more, by team and week', () => {
    const many = record(submit(), assigned('officer-1'), ...Array.from({ length: 12 }, (_, i) => attemptRecorded(`m${i}`, at(i * 60))));
    const few = record(submit(), attemptRecorded('f1', at(60)), attemptRecorded('f2', at(120)));
    const none = Array.from({ length: 8 }, () => record(submit()));
    const d = computeSlaDashboard(rows([many, few, ...none]), { now, policy: fastPolicy });
    expect(d.attemptsPerRequest).toEqual({ total: 14, max: 12, p90: 2, tenOrMore: 1 }); // 8 x 0, 2, 12: the 9th of 10 is 2
    expect(d.byTeam.find((t) => t.teamId === 'north')!.attemptsPerRequest).toEqual({ total: 12, max: 12, p90: 12, tenOrMore: 1 });
    expect(d.byWeek.map((w) => [w.week, w.attemptsPerRequest.tenOrMore])).toEqual([['2026-03-02', 1]]);
  });

  it('time to acknowledge by level, in working hours from reaching the level', () => {
    const e = record(
      submit(),
      escalationRaised({ escalationId: 'e', raisedAt: at(1 * H) }),
      escalationAcknowledged({ escalationId: 'e', at: at(3 * H) }), // level 1: 2 h
      escalationAdvanced({ escalationId: 'e', at: at(5 * H), ackDueAt: at(6 * H), reason: 'respond_timeout' as any }),
      escalationAcknowledged({ escalationId: 'e', level: 2, at: at(5.5 * H) }), // level 2: 0.5 h
      escalationResolved(at(6 * H), { escalationId: 'e' }),
    );
    const d = computeSlaDashboard(rows([e]), { now: new Date(at(8 * H)), policy: fastPolicy });
    expect(d.escalations).toMatchObject({ total: 1, open: 0, byLevel: { '2': 1 }, reachedLevel: { '1': 1, '2': 1 } });
    expect(d.escalations.acknowledgeByLevel).toEqual({
      '1': { acknowledged: 1, measured: 1, censored: 0, p50Hours: 2, p90Hours: 2, p50LowerBound: false, p90LowerBound: false },
      '2': { acknowledged: 1, measured: 1, censored: 0, p50Hours: 0.5, p90Hours: 0.5, p50LowerBound: false, p90LowerBound: false },
    });
  });

  it('MP enquiries beside parents and schools, and by channel', () => {
    const mp = record(submit({ channel: 'mp' }), responded(at(1 * H)));
    const mpRole = record(submit({ requester: { role: 'mp', name: 'M', email: '' } }), responded(at(0.5 * H)));
    const parent = record(submit(), responded(at(3 * H)));
    const school = record(submit({ requester: { role: 'school', name: 'S', email: '' } }));
    const d = computeSlaDashboard(rows([mp, mpRole, parent, school]), { now, policy: fastPolicy });
    expect(d.responseByRequester.mp).toMatchObject({ measured: 2, total: 2, withinSla: 2, p50Hours: 0.5, p90Hours: 1 });
    expect(d.responseByRequester.parent).toMatchObject({ measured: 1, p50Hours: 3, withinSla: 1 }); // the MP's parent-role request is not here
    expect(d.responseByRequester.school).toMatchObject({ measured: 1, censored: 1, p50Hours: 6, p50LowerBound: true, unanswered: 1 });
    expect(d.byChannel.map((c) => [c.channel, c.total])).toEqual([
      ['mp', 1],
      ['portal', 3],
    ]);
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

  it('filters by officer, category, requester role and channel: every figure is of the requests picked', () => {
    const complaints = computeSlaDashboard(rows(records), { now, policy: fastPolicy, category: 'complaint' });
    expect(complaints).toMatchObject({ total: 1, breached: 1, byOfficer: [{ officerId: 'officer-2' }], byCategory: [{ category: 'complaint' }] });
    const schools = computeSlaDashboard(rows(records), { now, policy: fastPolicy, requesterRole: 'school' });
    expect(schools).toMatchObject({ total: 1, unanswered: { attempts: 3 }, byRequesterRole: [{ requesterRole: 'school', total: 1 }] });
    expect(computeSlaDashboard(rows(records), { now, policy: fastPolicy, channel: 'portal' }).total).toBe(4);
    expect(computeSlaDashboard(rows(records), { now, policy: fastPolicy, channel: 'letter' }).total).toBe(0);
    const mine = computeSlaDashboard(rows(records), { now, policy: fastPolicy, officerId: 'officer-1' });
    expect(mine).toMatchObject({ total: 1, breached: 0, byTeam: [{ teamId: 'north', total: 1 }] });
  });

  it("an officer's dashboard counts the breaches they owned, on requests now someone else's", () => {
    const moved = record(
      submit(),
      assigned('officer-1', { teamId: 'north' }),
      slaBreached('first_response', at(4 * H), at(4 * H)),
      reassigned('officer-2', { teamId: 'north' }),
    );
    const theirs = computeSlaDashboard(rows([moved]), { now, policy: fastPolicy, officerId: 'officer-1' });
    expect(theirs).toMatchObject({ total: 0, byOfficer: [{ officerId: 'officer-1', total: 0, breached: 1 }] });
    const now2 = computeSlaDashboard(rows([moved]), { now, policy: fastPolicy, officerId: 'officer-2' });
    expect(now2).toMatchObject({ total: 1, byOfficer: [{ officerId: 'officer-2', total: 1, breached: 0 }] });
  });

  it('is a picture at `now`: earlier, the waiting request was not overdue yet', () => {
    const d = computeSlaDashboard(rows([waiting]), { now: new Date(at(3.5 * H)), policy: fastPolicy });
    expect(d).toMatchObject({ overdue: 0, firstResponse: { total: 0, withinSla: 0, notYetDue: 1, p50Hours: 3.5, p50LowerBound: true } });
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
    expect(d.firstResponse).toMatchObject({ total: 0, notYetDue: 1, withinSla: 0, p50Hours: 2, p90Hours: 2, censored: 0 });
    // Waiting from Friday 16:00 to Monday 10:00: 2 working hours, not 66.
    const waiting = record(submitted({ requestId: uuid(), submittedAt: friday, due: r.state.submittedDue }));
    expect(
      computeSlaDashboard(rows([waiting]), { now: new Date('2026-03-02T10:00:00.000Z'), policy: defaultPolicy }).firstResponse,
    ).toMatchObject({
      p50Hours: 2,
      censored: 1,
    });
  });

  it('the week of an instant, worked out a UTC day at a time, is luxon’s (across clock changes and time zones)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('Europe/London', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Auckland'),
        (d, zone) => {
          const iso = d.toISOString();
          expect(weeksOf(zone)(iso)).toBe(DateTime.fromISO(iso, { zone }).startOf('week').toISODate());
        },
      ),
      { numRuns: 300 },
    );
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
