import { defaultPolicy } from './default-policy';
import { validatePolicy } from './parse-policy';
import { isPastRetention, retentionDurationProblem, retentionEndsAt } from './retention';

describe('retention.closedRequests', () => {
  it('defaults to six calendar years after the resolution', () => {
    expect(defaultPolicy.retention.closedRequests).toBe('P6Y');
    expect(retentionEndsAt(defaultPolicy, '2026-03-03T10:00:00.000Z').toISOString()).toBe('2032-03-03T10:00:00.000Z');
  });

  it('counts years on the calendar of the policy time zone (wall-clock time kept across a clock change)', () => {
    // 10:00 in London in summer (BST) is 09:00Z; six years later, in winter, 10:00 GMT.
    const policy = validatePolicy({ ...structuredClone(defaultPolicy), retention: { closedRequests: 'P6M' } }, 'test');
    expect(retentionEndsAt(policy, '2026-07-15T09:00:00.000Z').toISOString()).toBe('2027-01-15T10:00:00.000Z');
  });

  it('is past only once the period has run', () => {
    const resolved = '2020-01-10T12:00:00.000Z';
    expect(isPastRetention(defaultPolicy, resolved, new Date('2026-01-10T11:59:59.999Z'))).toBe(false);
    expect(isPastRetention(defaultPolicy, resolved, new Date('2026-01-10T12:00:00.000Z'))).toBe(true);
  });

  it('refuses what is not a positive ISO duration', () => {
    expect(retentionDurationProblem('P6Y')).toBeUndefined();
    expect(retentionDurationProblem('6 years')).toMatch(/not an ISO 8601 duration/);
    expect(retentionDurationProblem('P0D')).toMatch(/longer than nothing/);
  });
});
