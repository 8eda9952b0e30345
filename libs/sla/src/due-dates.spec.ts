import { defaultPolicy } from './default-policy';
import Holidays from 'date-holidays';
import { calendarOf, dueAfter, dueDatesFor, warmCalendar } from './due-dates';
import { validatePolicy } from './parse-policy';
import type { Category, Priority } from './policy.schema';
import { addWorkingTime } from './working-time';

// Thu 24 Dec 2026 16:30 GMT: Christmas, a Saturday Boxing Day with Monday substitute, New Year.
const submittedAt = new Date('2026-12-24T16:30:00Z');
const due = (category: Category, priority: Priority, policy = defaultPolicy, at = submittedAt) => {
  const d = dueDatesFor(policy, { category, priority }, at);
  return { firstResponseAt: d.firstResponseAt.toISOString(), resolutionAt: d.resolutionAt.toISOString() };
};

describe('dueDatesFor with the default policy', () => {
  it.each<[Category, Priority, string, string]>([
    // P3D / P10D: Tue 29, Wed 30, Thu 31 Dec (Fri 1 Jan is New Year's Day), by that day's close (end_of_day).
    ['general', 'normal', '2026-12-31T17:00:00.000Z', '2027-01-12T17:00:00.000Z'],
    ['ehc_plan', 'normal', '2026-12-31T17:00:00.000Z', '2027-01-12T17:00:00.000Z'],
    // Complaints: P5D / P15D (LGSCO).
    ['complaint', 'normal', '2027-01-05T17:00:00.000Z', '2027-01-19T17:00:00.000Z'],
    // Urgent overrides the category: P1D / P5D.
    ['complaint', 'urgent', '2026-12-29T17:00:00.000Z', '2027-01-05T17:00:00.000Z'],
    ['transport', 'urgent', '2026-12-29T17:00:00.000Z', '2027-01-05T17:00:00.000Z'],
  ])('%s, %s', (category, priority, firstResponseAt, resolutionAt) =>
    expect(due(category, priority)).toEqual({ firstResponseAt, resolutionAt }),
  );

  it('with dueAt: exact, is due to the minute (16:30, as submitted)', () => {
    const exact = validatePolicy({ ...structuredClone(defaultPolicy), sla: { ...structuredClone(defaultPolicy.sla), dueAt: 'exact' } });
    expect(due('general', 'normal', exact)).toEqual({
      firstResponseAt: '2026-12-31T16:30:00.000Z',
      resolutionAt: '2027-01-12T16:30:00.000Z',
    });
    expect(due('complaint', 'urgent', exact)).toEqual({
      firstResponseAt: '2026-12-29T16:30:00.000Z',
      resolutionAt: '2027-01-05T16:30:00.000Z',
    });
  });
});

describe('dueDatesFor with a custom policy', () => {
  const policy = validatePolicy({
    calendar: { closures: ['2027-01-11'] },
    sla: {
      default: { firstResponse: 'P3D', resolution: 'P10D' },
      categories: { transport: { firstResponse: 'PT4H' }, placement: { resolution: 'P20D' } },
      urgent: { firstResponse: 'PT2H' },
    },
    unanswered: { threshold: 2 },
    escalation: { chain: [{ role: 'head_of_service', ackWithin: 'PT1H', respondWithin: 'P1D' }] },
  });
  const friday = new Date('2027-01-08T15:00:00Z'); // Fri 8 Jan 2027 15:00; Mon 11 Jan is a closure day

  it('takes each clock from the most specific level that sets it', () => {
    // Hour clocks (PT4H, PT2H) are exact; day clocks are due at the day's close (end_of_day by default).
    expect(due('transport', 'normal', policy, friday)).toEqual({
      firstResponseAt: '2027-01-12T11:00:00.000Z',
      resolutionAt: '2027-01-25T17:00:00.000Z',
    });
    expect(due('placement', 'normal', policy, friday)).toEqual({
      firstResponseAt: '2027-01-14T17:00:00.000Z',
      resolutionAt: '2027-02-08T17:00:00.000Z',
    });
    expect(due('placement', 'urgent', policy, friday)).toEqual({
      firstResponseAt: '2027-01-08T17:00:00.000Z',
      resolutionAt: '2027-02-08T17:00:00.000Z',
    });
  });

  it('measures in elapsed time with "24/7" and no holidays', () => {
    const fast = validatePolicy({
      calendar: { workingHours: '24/7', bankHolidays: 'none' },
      sla: { default: { firstResponse: 'PT10S', resolution: 'PT1M' } },
      unanswered: { threshold: 3 },
      escalation: { chain: [{ role: 'team_manager', ackWithin: 'PT5S', respondWithin: 'PT5S' }] },
    });
    expect(due('general', 'normal', fast)).toEqual({
      firstResponseAt: '2026-12-24T16:30:10.000Z',
      resolutionAt: '2026-12-24T16:31:00.000Z',
    });
  });
});

describe('calendarOf', () => {
  it('builds one calendar per policy object', () => {
    expect(calendarOf(defaultPolicy)).toBe(calendarOf(defaultPolicy));
    const copy = validatePolicy(structuredClone(defaultPolicy));
    expect(calendarOf(copy)).not.toBe(calendarOf(defaultPolicy));
  });

  it('is the policy calendar, closures included', () => {
    const closed = validatePolicy({ ...structuredClone(defaultPolicy), calendar: { closures: ['2027-01-12'] } });
    expect(addWorkingTime(calendarOf(closed), new Date('2027-01-11T10:00:00Z'), 'P1D').toISOString()).toBe('2027-01-13T10:00:00.000Z');
    expect(addWorkingTime(calendarOf(defaultPolicy), new Date('2027-01-11T10:00:00Z'), 'P1D').toISOString()).toBe(
      '2027-01-12T10:00:00.000Z',
    );
  });
});

describe('warmCalendar', () => {
  afterEach(() => jest.restoreAllMocks());

  it("computes this year's and next year's bank holidays up front, so a due date then asks date-holidays nothing", () => {
    // Years no other test here touches: the holiday sets are cached per process.
    const at = new Date('2041-12-18T10:00:00Z');
    const query = jest.spyOn(Holidays.prototype, 'getHolidays');
    warmCalendar(defaultPolicy, at);
    expect(query.mock.calls.map(([year]) => Number(year)).sort()).toEqual([2041, 2042]);
    query.mockClear();
    // P10D from Wed 18 Dec 2041 crosses Christmas and New Year into 2042.
    expect(dueAfter(defaultPolicy, at, 'P10D').toISOString()).toBe('2042-01-06T17:00:00.000Z');
    expect(query).not.toHaveBeenCalled();
  });
});
