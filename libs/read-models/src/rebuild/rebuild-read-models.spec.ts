import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import type { SqliteEventStore } from '@send/event-store';
import { allProjections } from '../all-projections';
import { keys, PROJECTIONS_NAME, READ_MODEL_VERSION } from '../keys';
import { PROJECTIONS_LEASE_KEY, ProjectorLease } from '../lease/projector-lease';
import { ProjectionsRunner } from '../lease/projections-runner';
import { Projector } from '../projector';
import { dumpKeys, projectAll, readModelRedis, registerUser, RequestDriver, tempStore, until } from '../testing/read-model-fixtures';
import { rebuildReadModels, type RebuildProgress } from './rebuild-read-models';

// This file's own Redis databases: incremental projection in one, rebuilds in the other.
const INCREMENTAL_DB = 13;
const REBUILT_DB = 14;

let handles: Array<Awaited<ReturnType<typeof readModelRedis>>> = [];
let incremental: Redis;
let rebuilt: Redis;
let store: SqliteEventStore;
let disposeStore: () => Promise<void>;
let drive: RequestDriver;
const quiet = { error: () => undefined, info: () => undefined };

beforeAll(async () => {
  handles = [await readModelRedis(INCREMENTAL_DB), await readModelRedis(REBUILT_DB)];
  [incremental, rebuilt] = handles.map((h) => h.redis);
});
afterAll(() => Promise.all(handles.map((h) => h.stop())));
beforeEach(async () => {
  await incremental.flushdb();
  await rebuilt.flushdb();
  const temp = tempStore();
  store = temp.store;
  disposeStore = temp.dispose;
  drive = new RequestDriver(store);
});
afterEach(() => disposeStore());

/** A realistic mix: users, requests in every state, escalations at several levels. */
async function history(n: number): Promise<void> {
  await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
  await registerUser(store, { id: 'manager-1', name: 'Mo Manager', role: 'team_manager', teamId: 'north' });
  for (let i = 0; i < n; i++) {
    const id = uuid();
    await drive.at(i).submit(id, { teamId: i % 3 === 0 ? undefined : 'north' }, i + 1);
    if (i % 2 === 0) await drive.at(i + 1).assign(id, 'officer-1');
    if (i % 4 === 1) {
      const esc = await drive.at(i + 2).escalate(id);
      if (i % 8 === 1) await drive.at(i + 13).advance(id, esc, 1);
    }
    if (i % 5 === 0) await drive.at(i + 20).respond(id);
    if (i % 10 === 0) await drive.at(i + 30).resolve(id);
    if (i % 20 === 0) await drive.at(i + 40).reopen(id);
    if (i % 7 === 3) await drive.at(i + 150).checkDeadline(id, 'first_response');
  }
}

/** The worker's runner on the rebuilt database, with short timings. */
async function liveRunner(): Promise<ProjectionsRunner> {
  const runner = new ProjectionsRunner({
    store,
    redis: rebuilt,
    leaseTtlMs: 600,
    pollMs: 20,
    logger: quiet,
    retry: { initialMs: 5, maxMs: 50 },
  });
  await runner.start();
  return runner;
}

describe('rebuildReadModels', () => {
  it('drops every read model and rebuilds exactly what incremental projection built', async () => {
    await history(30);
    await projectAll(store, new Projector(PROJECTIONS_NAME, incremental, allProjections()));

    // Something stale and something to keep in the database the rebuild runs on.
    await rebuilt.set('rm:request:gone', '{}');
    await rebuilt.set(keys.checkpoint(PROJECTIONS_NAME), '999999');
    const progress: RebuildProgress[] = [];
    const result = await rebuildReadModels({ store, redis: rebuilt, onProgress: (p) => progress.push(p) });

    const [a, b] = [await dumpKeys(incremental, 'rm:*'), await dumpKeys(rebuilt, 'rm:*')];
    expect(Object.keys(b).length).toBeGreaterThan(30);
    expect(b).toEqual(a);
    expect(await rebuilt.get(keys.checkpoint(PROJECTIONS_NAME))).toBe(await incremental.get(keys.checkpoint(PROJECTIONS_NAME)));
    expect(result.requests).toBe(30);
    expect(result.events).toBe(Number(store.readHead()));
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['waiting-for-lease', 'dropping', 'done']));
    expect(await rebuilt.exists(PROJECTIONS_LEASE_KEY)).toBe(0); // released
  });

  it('waits for the lease holder to let go before dropping anything', async () => {
    await history(3);
    await projectAll(store, new Projector(PROJECTIONS_NAME, rebuilt, allProjections()));
    const holder = new ProjectorLease(rebuilt, { ttlMs: 10_000 });
    expect(await holder.tryAcquire()).toBe(true);

    let done = false;
    const rebuilding = rebuildReadModels({ store, redis: rebuilt, pollMs: 10 }).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(await rebuilt.zcard(keys.allRequests())).toBe(3); // nothing dropped yet
    await holder.release();
    expect((await rebuilding).requests).toBe(3);
  });

  it('pauses the live ProjectionsRunner, which then continues from the rebuilt checkpoint', async () => {
    await history(5);
    const runner = await liveRunner();
    try {
      await until(async () => (await rebuilt.zcard(keys.allRequests())) === 5);
      expect(runner.active).toBe(true);

      const result = await rebuildReadModels({ store, redis: rebuilt, leaseTtlMs: 600, pollMs: 10 });
      expect(result.requests).toBe(5);

      // Live again: a new request reaches the read models through the runner.
      const id = uuid();
      await drive.at(500).submit(id, {}, 99);
      await until(async () => (await rebuilt.zscore(keys.allRequests(), id)) !== null);
      await until(() => runner.active);
      await projectAll(store, new Projector(PROJECTIONS_NAME, incremental, allProjections()));
      expect(await dumpKeys(rebuilt, 'rm:*')).toEqual(await dumpKeys(incremental, 'rm:*'));
    } finally {
      await runner.stop();
    }
  });

  it('drops read models an older release stored and projects them again from the start', async () => {
    await history(4);
    // What the previous release left: records without the domain state, a checkpoint past them, no version.
    const first = uuid();
    await rebuilt.set(keys.request(first), JSON.stringify({ view: { id: first }, requesterUserId: null }));
    await rebuilt.set(keys.checkpoint(PROJECTIONS_NAME), String(store.readHead()));
    const runner = await liveRunner();
    try {
      await until(async () => (await rebuilt.zcard(keys.allRequests())) === 4);
      await until(async () => (await rebuilt.get(keys.checkpoint(PROJECTIONS_NAME))) === String(store.readHead()));
      expect(await rebuilt.get(keys.readModelVersion())).toBe(String(READ_MODEL_VERSION));
      expect(await rebuilt.get(keys.request(first))).toBeNull(); // the stale record of a request that never existed is gone
      await projectAll(store, new Projector(PROJECTIONS_NAME, incremental, allProjections()));
      expect(await dumpKeys(rebuilt, 'rm:*')).toEqual(await dumpKeys(incremental, 'rm:*'));
    } finally {
      await runner.stop();
    }
  });
});
