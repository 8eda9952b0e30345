import { calendarDurationProblem, durationProblem, isDayGranular, parseWorkingDuration } from './duration';

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

describe('isDayGranular: the durations sla.dueAt end_of_day rounds to a day\'s close', () => {
  it.each([
    ['P3D', true], ['P0D', true], ['P10D', true],
    ['PT4H', false], ['P1DT2H', false], ['P1DT0H', false], ['PT0S', false], ['PT24H', false],
  ])('%s: %s', (iso, expected) => expect(isDayGranular(iso)).toBe(expected));

  it('rejects what is not a working-time duration', () => expect(() => isDayGranular('P1W')).toThrow('"P1W" uses years, months or weeks'));
});

describe('calendarDurationProblem (intake.maxBackdate, calendar time)', () => {
  it.each(['P30D', 'P4W', 'PT48H', 'P0D', 'P1DT12H'])('accepts %s', (iso) => expect(calendarDurationProblem(iso)).toBeUndefined());
  it.each([
    ['P1X', '"P1X" is not an ISO 8601 duration (e.g. P30D, P4W)'],
    ['-P1D', '"-P1D" is not an ISO 8601 duration (e.g. P30D, P4W)'],
    ['P1DT', '"P1DT" is not an ISO 8601 duration (e.g. P30D, P4W)'],
    [30, '30 is not an ISO 8601 duration (e.g. P30D, P4W)'],
    ['P1M', '"P1M" uses years or months, whose length varies; use days or weeks (e.g. P30D, P4W)'],
    ['P1Y', '"P1Y" uses years or months, whose length varies; use days or weeks (e.g. P30D, P4W)'],
    ['P0.5W', '"P0.5W" has a fractional number of days or weeks; use whole days or hours (e.g. P30D, P4W)'],
  ])('rejects %s', (iso, message) => expect(calendarDurationProblem(iso)).toBe(message));
});
