import { durationProblem, parseWorkingDuration } from './duration';

describe('parseWorkingDuration', () => {
  it.each([
    ['P1D', { days: 1, ms: 0 }],
    ['PT4H', { days: 0, ms: 4 * 3_600_000 }],
    ['P1DT2H', { days: 1, ms: 2 * 3_600_000 }],
    ['PT10S', { days: 0, ms: 10_000 }],
    ['PT0.5S', { days: 0, ms: 500 }],
    ['PT1,5S', { days: 0, ms: 1500 }],
    ['PT1.5H', { days: 0, ms: 5_400_000 }],
    ['PT90M', { days: 0, ms: 5_400_000 }],
    ['P0D', { days: 0, ms: 0 }],
    ['PT0S', { days: 0, ms: 0 }],
  ])('%s', (iso, expected) => expect(parseWorkingDuration(iso)).toEqual(expected));

  it.each([
    ['P1X', '"P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['', '"" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['P', '"P" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['PT', '"PT" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['P1DT', '"P1DT" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['p1d', '"p1d" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['1 day', '"1 day" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['-P1D', '"-P1D" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['P-1D', '"P-1D" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['P1W', '"P1W" uses years, months or weeks, which have no fixed length in working time; use working days or hours (e.g. P1D, PT4H)'],
    ['P1M', '"P1M" uses years, months or weeks, which have no fixed length in working time; use working days or hours (e.g. P1D, PT4H)'],
    ['P1.5D', '"P1.5D" has a fractional number of days, but a working day has no fixed length: use whole days or hours (e.g. P1D, PT4H)'],
  ])('rejects %j, naming it', (iso, message) => {
    expect(durationProblem(iso)).toBe(message);
    expect(() => parseWorkingDuration(iso)).toThrow(message);
  });

  it('names a value that is not a string', () => expect(durationProblem(3)).toBe('3 is not an ISO 8601 duration (e.g. P1D, PT4H)'));
});
