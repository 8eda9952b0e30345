import { v4 as uuid } from 'uuid';
import type { SqliteEventStore } from '@send/event-store';
import { RequestDriver, tempStore } from '../testing/read-model-fixtures';
import { replayRequestRecords } from './sla-dashboard.service';

/** Counts how many times the event loop reached its check phase (setImmediate) until stopped. */
function loopTicks(): { stop(): number } {
  let ticks = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    ticks += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
      return ticks;
    },
  };
}

describe('as-of replay shares the event loop', () => {
  let store: SqliteEventStore;
  let dispose: () => Promise<void>;
  const REQUESTS = 1500;

  beforeAll(async () => {
    ({ store, dispose } = tempStore());
    const drive = new RequestDriver(store);
    // Submitted together: group commit keeps the fixture quick.
    for (let i = 0; i < REQUESTS; i += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, j) => drive.at(i + j).submit(uuid(), {}, i + j + 1)));
    }
  });
  afterAll(() => dispose());

  it('lets setImmediate callbacks run while it replays the whole log (at least once per 256 events)', async () => {
    const ticks = loopTicks();
    const records = await replayRequestRecords(store, new Date('2100-01-01T00:00:00Z'));
    const ran = ticks.stop();
    expect(records).toHaveLength(REQUESTS);
    // Without turns the replay resolves in microtasks only and the ticker never runs.
    expect(ran).toBeGreaterThanOrEqual(Math.floor(REQUESTS / 256));
  });
});
