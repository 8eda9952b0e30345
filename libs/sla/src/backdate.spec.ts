import { earliestBackdate } from './backdate';
import { defaultPolicy } from './default-policy';
import { validatePolicy } from './parse-policy';

const withBackdate = (maxBackdate: string) => validatePolicy({ ...structuredClone(defaultPolicy), intake: { maxBackdate } });
const earliest = (now: string, policy = defaultPolicy) => earliestBackdate(policy, new Date(now)).toISOString();

describe('earliestBackdate: now minus intake.maxBackdate in calendar time', () => {
  it('is 30 calendar days back with the default policy (weekends and bank holidays count)', () => {
    expect(earliest('2026-12-01T14:00:00Z')).toBe('2026-11-01T14:00:00.000Z');
    // Over Christmas 2026: 30 calendar days, though only about 18 of them are working days.
    expect(earliest('2027-01-05T10:00:00Z')).toBe('2026-12-06T10:00:00.000Z');
  });

  it('keeps the London wall-clock time across a clock change (days are calendar days)', () => {
    // Tue 10 Nov 2026 12:00 GMT - 30 days = Sun 11 Oct 2026 12:00 BST (11:00 UTC).
    expect(earliest('2026-11-10T12:00:00Z')).toBe('2026-10-11T11:00:00.000Z');
  });

  it.each([
    ['P3D', '2026-12-29T10:00:00Z', '2026-12-26T10:00:00.000Z'], // a Saturday: not working days
    ['P4W', '2026-12-29T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['PT48H', '2026-12-29T10:00:00Z', '2026-12-27T10:00:00.000Z'],
    ['P0D', '2026-12-29T10:00:00Z', '2026-12-29T10:00:00.000Z'], // no backdating at all
  ])('%s before %s', (iso, now, expected) => expect(earliest(now, withBackdate(iso))).toBe(expected));

  it('rejects an invalid now', () => expect(() => earliestBackdate(defaultPolicy, new Date('nonsense'))).toThrow('now is not a valid Date'));
});
