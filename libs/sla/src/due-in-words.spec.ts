import { defaultPolicy } from './default-policy';
import { dueAfter } from './due-dates';
import { dueInWords } from './due-in-words';
import { validatePolicy } from './parse-policy';

const allHours = validatePolicy({ ...structuredClone(defaultPolicy), calendar: { workingHours: '24/7', bankHolidays: 'none' } });
const words = (due: string, policy = defaultPolicy, now?: string) => dueInWords(new Date(due), policy, now ? new Date(now) : undefined);

describe('dueInWords (GOV.UK style, in the policy time zone)', () => {
  it.each([
    ['a working day close (17:00 GMT)', '2026-03-03T17:00:00Z', 'by the end of Tuesday 3 March'],
    ['a working day close in summer time (17:00 BST)', '2026-06-02T16:00:00Z', 'by the end of Tuesday 2 June'],
    ['an hour on the clock', '2026-03-03T14:00:00Z', 'by 2pm on Tuesday 3 March'],
    ['minutes, no leading zero', '2026-03-03T09:05:00Z', 'by 9:05am on Tuesday 3 March'],
    ['half past five in summer time', '2026-06-02T16:30:00Z', 'by 5:30pm on Tuesday 2 June'],
    ['midday', '2026-03-03T12:00:00Z', 'by midday on Tuesday 3 March'],
    ['half past twelve', '2026-03-03T12:30:00Z', 'by 12:30pm on Tuesday 3 March'],
    ['seconds are dropped, never rounded up', '2026-03-03T14:59:59Z', 'by 2:59pm on Tuesday 3 March'],
    ['17:00 on a Saturday (not a working day): a time, not a close', '2026-03-07T17:00:00Z', 'by 5pm on Saturday 7 March'],
  ])('%s', (_what, due, expected) => expect(words(due)).toBe(expected));

  it.each([
    ['midnight GMT is the end of the day before', '2026-03-04T00:00:00Z', 'by the end of Tuesday 3 March'],
    ['midnight BST is the end of the day before', '2026-06-02T23:00:00Z', 'by the end of Tuesday 2 June'],
    ['a minute before midnight', '2026-03-03T23:59:00Z', 'by 11:59pm on Tuesday 3 March'],
    ['the small hours', '2026-03-04T00:30:00Z', 'by 12:30am on Wednesday 4 March'],
  ])('24/7: %s', (_what, due, expected) => expect(words(due, allHours)).toBe(expected));

  it.each([
    ['due at today\'s close', '2026-03-03T17:00:00Z', '2026-03-03T09:30:00Z', 'by the end of today, Tuesday 3 March'],
    ['due at a time today', '2026-03-03T14:00:00Z', '2026-03-03T09:30:00Z', 'by 2pm today, Tuesday 3 March'],
    ['due tomorrow', '2026-03-04T16:30:00Z', '2026-03-03T17:30:00Z', 'by 4:30pm tomorrow, Wednesday 4 March'],
    ['due at tomorrow\'s close', '2026-03-04T17:00:00Z', '2026-03-03T23:59:00Z', 'by the end of tomorrow, Wednesday 4 March'],
    ['Friday for Monday is not "tomorrow"', '2026-03-09T17:00:00Z', '2026-03-06T10:00:00Z', 'by the end of Monday 9 March'],
    ['already past: just the day', '2026-03-02T17:00:00Z', '2026-03-03T10:00:00Z', 'by the end of Monday 2 March'],
    ['another year: with the year', '2027-01-04T17:00:00Z', '2026-12-24T16:30:00Z', 'by the end of Monday 4 January 2027'],
    ['today in London, already tomorrow in UTC', '2026-06-02T16:00:00Z', '2026-06-01T23:30:00Z', 'by the end of today, Tuesday 2 June'],
  ])('with now: %s', (_what, due, now, expected) => expect(words(due, defaultPolicy, now)).toBe(expected));

  it('24/7 midnight with now: today is the day that ends', () =>
    expect(words('2026-03-04T00:00:00Z', allHours, '2026-03-03T08:00:00Z')).toBe('by the end of today, Tuesday 3 March'));

  it('uses the policy time zone', () => {
    const newYork = validatePolicy({ ...structuredClone(defaultPolicy), calendar: { timezone: 'America/New_York' } });
    expect(words('2026-03-03T22:00:00Z', newYork)).toBe('by the end of Tuesday 3 March'); // 17:00 EST
    expect(words('2026-03-03T17:00:00Z', newYork)).toBe('by midday on Tuesday 3 March');
  });

  it('describes the default policy due dates as families count them', () => {
    // Submitted Friday 6 March 2026 at 16:00: "within 3 working days".
    const due = dueAfter(defaultPolicy, new Date('2026-03-06T16:00:00Z'), 'P3D');
    expect(dueInWords(due, defaultPolicy, new Date('2026-03-06T16:00:00Z'))).toBe('by the end of Wednesday 11 March');
    expect(dueInWords(dueAfter(defaultPolicy, new Date('2026-03-06T16:00:00Z'), 'PT4H'), defaultPolicy)).toBe('by midday on Monday 9 March');
  });

  it('rejects an invalid date', () => expect(() => dueInWords(new Date('nonsense'), defaultPolicy)).toThrow('due is not a valid Date'));
});
