import { dateParts, dayInWords, endOfDay, parseDateParts, startOfDay } from './date-inputs';

describe('GOV.UK date inputs', () => {
  it('reads a real date, and says which part is missing or wrong', () => {
    expect(parseDateParts({ day: '7', month: '12', year: '2026' }, 'The first day')).toEqual({ date: '2026-12-07' });
    expect(parseDateParts({}, 'The first day')).toBeNull();
    expect(parseDateParts({ day: '', month: '12', year: '2026' }, 'The first day')).toEqual({ error: 'The first day must include a day', part: 'day' });
    expect(parseDateParts({ day: '7', month: '', year: '2026' }, 'The first day')).toEqual({ error: 'The first day must include a month', part: 'month' });
    expect(parseDateParts({ day: '31', month: '2', year: '2026' }, 'The first day')).toEqual({ error: 'The first day must be a real date', part: 'day' });
    expect(parseDateParts({ day: 'x', month: '2', year: '26' }, 'The first day')).toMatchObject({ error: 'The first day must be a real date' });
  });

  it('turns days into instants in the time zone: from the start of the first day to the start of the day after the last', () => {
    expect(startOfDay('2026-12-07', 'Europe/London')).toBe('2026-12-07T00:00:00.000Z');
    expect(startOfDay('2026-07-07', 'Europe/London')).toBe('2026-07-06T23:00:00.000Z'); // BST
    expect(endOfDay('2026-12-11', 'Europe/London')).toBe('2026-12-12T00:00:00.000Z');
  });

  it('shows an absence again as the days it covers', () => {
    expect(dateParts('2026-07-06T23:00:00.000Z', 'Europe/London')).toEqual({ day: '7', month: '7', year: '2026' });
    expect(dateParts('2026-12-12T00:00:00.000Z', 'Europe/London', true)).toEqual({ day: '11', month: '12', year: '2026' });
    expect(dateParts(null, 'Europe/London')).toEqual({});
    expect(dayInWords('2027-01-04T00:00:00.000Z', 'Europe/London')).toBe('4 January 2027');
    expect(dayInWords('2027-01-09T00:00:00.000Z', 'Europe/London', true)).toBe('8 January 2027');
  });
});
