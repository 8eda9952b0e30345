import { spawnSync } from 'node:child_process';
import {
  COMPACT_FLAG,
  NO_COMPACT_FLAG,
  OLD_SPACE_COMPACTION_DEFAULTS,
  OldSpaceCompaction,
  type OldSpaceReading,
} from './old-space-compaction';

const MB = 2 ** 20;

function harness(reading: OldSpaceReading) {
  const flags: string[] = [];
  let now = 1_000_000;
  const state = { reading, flags, advance: (ms: number) => (now += ms), at: () => now };
  const compaction = new OldSpaceCompaction(
    OLD_SPACE_COMPACTION_DEFAULTS,
    (f) => flags.push(f),
    () => state.reading,
    () => now,
  );
  return { compaction, state };
}

describe('OldSpaceCompaction', () => {
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
