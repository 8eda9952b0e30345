import { Writable } from 'node:stream';
import { v4 as uuid } from 'uuid';
import { keys } from '@send/read-models';
import { readModelRedis, registerUser, RequestDriver, tempStore } from '@send/read-models/testing/read-model-fixtures';
import { runRebuildCli } from './rebuild-cli';

const DB = 9; // this file's own Redis database: the rm:* keys are global

describe('rebuild-read-models CLI', () => {
  it('rebuilds from the configured store: progress on stderr, the final count on stdout', async () => {
    const handle = await readModelRedis(DB);
    const { store, dispose } = tempStore();
    try {
      await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
      const drive = new RequestDriver(store);
      for (let i = 0; i < 4; i++) await drive.at(i).submit(uuid(), {}, i + 1);
      await handle.redis.set(keys.request('stale'), '{}'); // a read model the store does not back: dropped
      const out: string[] = [];
      const err: string[] = [];
      const sink = (into: string[]) => new Writable({ write: (chunk, _e, cb) => (into.push(chunk.toString()), cb()) });
      const { host, port } = handle.redis.options;
      const env = { SQLITE_PATH: (store as unknown as { file: string }).file, REDIS_URL: `redis://${host}:${port}/${DB}` };

      const code = await runRebuildCli(env, { stdout: sink(out), stderr: sink(err) });

      expect(err.join('')).toContain('rebuilding read models');
      expect(code).toBe(0);
      expect(out.join('')).toMatch(/^Rebuilt read models from \d+ events \(4 requests\) in \d+\.\d s\n$/);
      expect(await handle.redis.zcard(keys.allRequests())).toBe(4);
      expect(await handle.redis.exists(keys.request('stale'))).toBe(0);
      expect(JSON.parse((await handle.redis.get(keys.user('officer-1')))!)).toMatchObject({ name: 'Olu Officer', role: 'officer' });
    } finally {
      await dispose();
      await handle.stop();
    }
  });

  it('stops with the variable that is wrong', async () => {
    const err: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (err.push(chunk.toString()), cb()) });
    expect(await runRebuildCli({ REDIS_URL: 'localhost:6379' }, { stdout: sink, stderr: sink })).toBe(1);
    expect(err.join('')).toContain('REDIS_URL');
  });
});
