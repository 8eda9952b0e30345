import { problemCount } from './proof-system';
import { runFaults } from './faults';

/**
 * The short form of `npm run test:faults` (test/proofs/faults.ts): four cycles under load, each
 * fault at its chosen moment, then the checks of test/proofs/checks.ts after each and at the end.
 * Runs the built apps (npm test builds them).
 */
describe('faults under load: a worker killed in a timer job, an api killed between append and answer, a Redis flush, an api killed mid-append', () => {
  it('after each: every 2xx command stored once, every due alert raised and emailed once, read models equal a rebuild', async () => {
    const lines: string[] = [];
    const { cycles, final } = await runFaults({
      cycles: 4,
      kinds: ['worker@timer-job', 'api@after-append', 'redis-flushall', 'api@mid-append'],
      connections: 4,
      // Short: the last cycles' alert emails are not waited for (each cycle's check covers the older ones).
      finalWaitMs: 0,
      log: (m) => lines.push(m),
    });
    const failed = [...cycles.map((c) => c.report), final].filter((r) => problemCount(r) > 0);
    if (failed.length) throw new Error(lines.join('\n'));
    expect(cycles.map((c) => c.momentReached)).toEqual([true, true, true, true]);
    // The load really ran through the faults, and some clients had to retry.
    expect(cycles.every((c) => c.accepted > 0)).toBe(true);
  }, 600_000);
});
