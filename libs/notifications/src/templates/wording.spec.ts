import fc from 'fast-check';
import { DateTime } from 'luxon';
import { ukTime, ZONE } from './wording';

describe('ukTime', () => {
  it('says UK local time with GMT or BST', () => {
    expect(ukTime('2026-03-02T10:00:00Z')).toBe('Mon 2 Mar 2026, 10:00 GMT');
    expect(ukTime('2026-03-29T01:00:00Z')).toBe('Sun 29 Mar 2026, 02:00 BST'); // the clocks went forward
    expect(ukTime('2026-09-15T23:30:00Z')).toBe('Wed 16 Sept 2026, 00:30 BST');
  });

  it('reads the same as luxon would format it, at any instant', () =>
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        expect(ukTime(iso)).toBe(DateTime.fromISO(iso, { zone: ZONE }).setLocale('en-GB').toFormat('ccc d LLL yyyy, HH:mm ZZZZ'));
      }),
      { numRuns: 500 },
    ));
});
