import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  COMPACT_FLAG,
  fullCollection,
  isMajorGc,
  NO_COMPACT_FLAG,
  OLD_SPACE_COMPACTION_DEFAULTS,
  OldSpaceCompaction,
  type OldSpaceReading,
} from './old-space-compaction';

const MB = 2 ** 20;

/** `canCollect`: the process can run a full collection when it chooses (the apps can); its runs are logged among the flags as 'collect'. */
function harness(reading: OldSpaceReading, canCollect = false) {
  const flags: string[] = [];
  let now = 1_000_000;
  const state = { reading, flags, advance: (ms: number) => (now += ms), at: () => now };
  const compaction = new OldSpaceCompaction(
    OLD_SPACE_COMPACTION_DEFAULTS,
    (f) => flags.push(f),
    () => state.reading,
    () => now,
    canCollect ? () => flags.push('collect') : null,
  );
  return { compaction, state };
}

describe('OldSpaceCompaction, where the process cannot ask for a collection', () => {
  it('asks nothing while the old space holds little beyond what is live', () => {
    const { compaction, state } = harness({ size: 80 * MB, used: 70 * MB }); // 12.5% free
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([]);
  });

  it('asks the next full collection to compact wholly once free memory passes the share, then stops asking', () => {
    // The soak's api: 68 MB live in 97 MB of old space.
    const { compaction, state } = harness({ size: 97 * MB, used: 68 * MB });
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([COMPACT_FLAG]);

    // A collection that had started before the flag was set did not compact: still asking.
    compaction.afterFullCollection(state.at() - 10);
    expect(state.flags).toEqual([COMPACT_FLAG]);

    state.advance(30_000);
    state.reading = { size: 70 * MB, used: 68 * MB };
    compaction.afterFullCollection(state.at() - 50);
    expect(state.flags).toEqual([COMPACT_FLAG, NO_COMPACT_FLAG]);
    expect(compaction.compactions).toBe(1);
  });

  it('does not ask for a small heap, however fragmented (below minFreeBytes)', () => {
    const { compaction, state } = harness({ size: 10 * MB, used: 4 * MB });
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([]);
  });

  it('asks at most once each minIntervalMs, so a heap compaction cannot shrink does not pay it every collection', () => {
    const { compaction, state } = harness({ size: 100 * MB, used: 60 * MB });
    compaction.afterFullCollection(state.at());
    state.advance(1000);
    compaction.afterFullCollection(state.at()); // the compacting one: did not help
    state.advance(30_000);
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([COMPACT_FLAG, NO_COMPACT_FLAG]);
    state.advance(OLD_SPACE_COMPACTION_DEFAULTS.minIntervalMs);
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([COMPACT_FLAG, NO_COMPACT_FLAG, COMPACT_FLAG]);
    expect(compaction.compactions).toBe(1);
  });

  it("names flags this Node's V8 knows (node refuses an unknown V8 option)", () => {
    const run = spawnSync(process.execPath, [COMPACT_FLAG, NO_COMPACT_FLAG, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const bad = spawnSync(process.execPath, ['--compact-on-every-full-gc-not-a-flag', '-e', '0'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});

describe('OldSpaceCompaction, waiting for a quiet moment', () => {
  const { idleUtilization, maxDeferMs, minIntervalMs, quietChecks } = OLD_SPACE_COMPACTION_DEFAULTS;
  /** `quietChecks` quiet checks in a row, a second apart: what a due compaction waits for. */
  const lull = (compaction: OldSpaceCompaction, state: { advance: (ms: number) => number }) => {
    for (let i = 0; i < quietChecks; i++) {
      state.advance(1000);
      compaction.tick(0);
    }
  };

  it('compacts after quietChecks quiet checks in a row once it is due, not at a full collection under load', () => {
    expect(quietChecks).toBeGreaterThan(1);
    const { compaction, state } = harness({ size: 97 * MB, used: 68 * MB }, true);
    compaction.afterFullCollection(state.at());
    expect(state.flags).toEqual([]); // due, not asked of the next full collection
    state.advance(1000);
    compaction.tick(0.95);
    compaction.afterFullCollection(state.at()); // an ordinary one under load: still waiting
    state.advance(1000);
    compaction.tick(idleUtilization + 0.01);
    expect(state.flags).toEqual([]);
    // Quiet checks short of a lull, then a busy one: the count starts again (a gap between two busy stretches).
    for (let i = 0; i < quietChecks - 1; i++) {
      state.advance(1000);
      compaction.tick(idleUtilization);
    }
    state.advance(1000);
    compaction.tick(0.6);
    for (let i = 0; i < quietChecks - 1; i++) {
      state.advance(1000);
      compaction.tick(idleUtilization);
    }
    expect(state.flags).toEqual([]);
    state.advance(1000);
    compaction.tick(idleUtilization);
    expect(state.flags).toEqual([COMPACT_FLAG, 'collect', NO_COMPACT_FLAG]);
    expect(compaction.compactions).toBe(1);
    expect(compaction.due).toBe(false);
    // Its own collection's end, with the old space compacted: nothing more.
    state.reading = { size: 70 * MB, used: 68 * MB };
    compaction.afterFullCollection(state.at());
    lull(compaction, state);
    expect(state.flags).toHaveLength(3);
  });

  it('asks the next full collection to compact after maxDeferMs of load with no quiet moment', () => {
    const { compaction, state } = harness({ size: 97 * MB, used: 68 * MB }, true);
    compaction.afterFullCollection(state.at());
    state.advance(maxDeferMs - 1);
    compaction.tick(0.9);
    expect(state.flags).toEqual([]);
    state.advance(1);
    compaction.tick(0.9);
    expect(state.flags).toEqual([COMPACT_FLAG]);
    compaction.tick(0); // already asked of the next full collection
    expect(state.flags).toEqual([COMPACT_FLAG]);
    state.advance(5000);
    compaction.afterFullCollection(state.at() - 10);
    expect(state.flags).toEqual([COMPACT_FLAG, NO_COMPACT_FLAG]);
    expect(compaction.compactions).toBe(1);
  });

  it('drops a due compaction when a full collection finds the free memory given back', () => {
    const { compaction, state } = harness({ size: 97 * MB, used: 68 * MB }, true);
    compaction.afterFullCollection(state.at());
    state.reading = { size: 72 * MB, used: 68 * MB };
    compaction.afterFullCollection(state.at());
    lull(compaction, state);
    state.advance(maxDeferMs);
    compaction.tick(0.9);
    expect(state.flags).toEqual([]);
  });

  it('does not compact when, by the quiet moment, the old space no longer holds the free memory (another watcher compacted it)', () => {
    const { compaction, state } = harness({ size: 97 * MB, used: 68 * MB }, true);
    compaction.afterFullCollection(state.at());
    expect(compaction.due).toBe(true);
    state.reading = { size: 70 * MB, used: 68 * MB };
    lull(compaction, state);
    expect(state.flags).toEqual([]);
    expect(compaction.due).toBe(false);
  });

  it('compacts at most once each minIntervalMs', () => {
    const { compaction, state } = harness({ size: 100 * MB, used: 60 * MB }, true);
    compaction.afterFullCollection(state.at());
    lull(compaction, state);
    state.advance(1000);
    compaction.afterFullCollection(state.at()); // it did not help
    lull(compaction, state);
    expect(state.flags).toEqual([COMPACT_FLAG, 'collect', NO_COMPACT_FLAG]);
    state.advance(minIntervalMs);
    compaction.afterFullCollection(state.at());
    lull(compaction, state);
    expect(state.flags).toEqual([COMPACT_FLAG, 'collect', NO_COMPACT_FLAG, COMPACT_FLAG, 'collect', NO_COMPACT_FLAG]);
    expect(compaction.compactions).toBe(2);
  });

  it('can ask this process for a full collection without --expose-gc at start', async () => {
    const collect = fullCollection();
    expect(collect).toBeInstanceOf(Function);
    let majors = 0;
    const observer = new PerformanceObserver((list) => (majors += list.getEntries().filter(isMajorGc).length));
    observer.observe({ entryTypes: ['gc'] });
    try {
      collect!();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(majors).toBeGreaterThanOrEqual(1);
    } finally {
      observer.disconnect();
    }
  });

  it('in a process, a compaction found due runs after its quiet checks', () => {
    // Its own process: a watcher that finds every collection worth compacting must not outlive the test.
    const script = `
      const { startOldSpaceCompaction, fullCollection } = require(${JSON.stringify(require.resolve('./old-space-compaction'))});
      const compaction = startOldSpaceCompaction({ maxFreeFraction: 0, minFreeBytes: 0, minIntervalMs: 60000, idleUtilization: 0.5, idleCheckMs: 50, quietChecks: 1, maxDeferMs: 60000 });
      let junk = [];
      for (let i = 0; i < 200000; i++) junk.push({ i, s: 'x' + i });
      junk = null;
      fullCollection()(); // its end finds the old space holding more than is live: due
      const before = compaction.compactions;
      setTimeout(() => { console.log(JSON.stringify({ before, after: compaction.compactions })); }, 500);
    `;
    const run = spawnSync(process.execPath, ['-r', require.resolve('../../event-store/src/testing/register-ts.js'), '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ before: 0, after: 1 });
  });
});
