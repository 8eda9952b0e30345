import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SqliteEventStore } from '@send/event-store';
import { loadConfig } from '@send/platform';
import { createStores } from '@send/platform/personal-data';
import { rebuildReadModels } from '@send/read-models';
import { dumpKeys, readModelRedis } from '@send/read-models/testing/read-model-fixtures';
import { runEncryptEventsCli } from '../../apps/worker/src/personal-data/encrypt-events-cli';
import { inProcessApi } from '../support/in-process-api';

const DB = 11; // this file's own Redis database for the rebuilt read models

/**
 * `npm run encrypt-events` on the api's demo data (DEMO_DATA), written before encryption: afterwards
 * no demo parent's email is left readable in the SQLite file, and the read models rebuilt from the
 * encrypted store equal those rebuilt from the plain one.
 */
describe('encrypt-events on the demo data', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'encrypt-events-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sink = (into: string[]) => new Writable({ write: (chunk, _e, cb) => (into.push(chunk.toString()), cb()) });
  const onDisk = (path: string) =>
    Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]);

  it('encrypts every personal field in place, resumably and once; the rebuilt read models are unchanged', async () => {
    const path = join(dir, 'events.db');
    const env = { SQLITE_PATH: path, DATA_KEYS_SECRET: 'a-test-data-keys-secret-0123456789abcdef' };
    // The demo data as an installation made before issue 14 holds it: in plain text.
    const api = await inProcessApi({ ...env, DEMO: 'true', DEMO_DATA: 'true', PERSONAL_DATA_ENCRYPTION: 'false' });
    await api.close();

    const raw = new SqliteEventStore({ path });
    const before: { id: string; data: unknown }[] = [];
    const emails = new Set<string>();
    const head = await raw.headPosition();
    for await (const e of raw.subscribeToAll({ from: 'start' })) {
      before.push({ id: e.id, data: e.data });
      const d = e.data as { requester?: { email?: string }; contact?: { email?: string }; email?: string; type?: string };
      for (const email of [d.requester?.email, d.contact?.email, e.type === 'UserRegistered' ? d.email : undefined])
        if (email) emails.add(email);
      if (e.position >= head) break;
    }
    expect(emails).toContain('parent@example.org');
    expect(emails.size).toBeGreaterThan(5);
    const redis = await readModelRedis(DB);
    try {
      await rebuildReadModels({ store: raw, redis: redis.redis, leaseTimeoutMs: 5_000 });
      const plainModels = await dumpKeys(redis.redis, 'rm:*');
      await raw.close();
      expect(onDisk(path).includes('parent@example.org')).toBe(true);

      const out: string[] = [];
      const err: string[] = [];
      expect(await runEncryptEventsCli(env, { stdout: sink(out), stderr: sink(err) })).toBe(0);
      expect(err.join('')).toContain('encrypting personal data');
      expect(out.join('')).toMatch(/^Encrypted the personal data of \d+ of \d+ events in \d+\.\d s\n$/);
      const [, rewritten, total] = /of (\d+) of (\d+)/.exec(out.join(''))!.map(Number);
      expect(total).toBe(before.length);
      expect(rewritten).toBeGreaterThan(0);

      for (const email of emails) expect({ email, found: onDisk(path).includes(email) }).toEqual({ email, found: false });

      // Again: nothing left to do (resumes after the last position; already-encrypted fields are left alone).
      const again: string[] = [];
      expect(await runEncryptEventsCli(env, { stdout: sink(again), stderr: sink([]) })).toBe(0);
      expect(again.join('')).toMatch(/^Encrypted the personal data of 0 of 0 events/);

      // Read through the encrypting store: the same events, ids and data; the read models rebuilt equal.
      const { store } = createStores(loadConfig(env));
      try {
        const after: { id: string; data: unknown }[] = [];
        for await (const e of store.subscribeToAll({ from: 'start' })) {
          after.push({ id: e.id, data: e.data });
          if (e.position >= head) break;
        }
        expect(after).toEqual(before);
        await redis.redis.flushdb();
        await rebuildReadModels({ store, redis: redis.redis, leaseTimeoutMs: 5_000 });
        expect(await dumpKeys(redis.redis, 'rm:*')).toEqual(plainModels);
      } finally {
        await store.close();
      }
    } finally {
      await redis.redis.flushdb().catch(() => undefined);
      await redis.stop();
    }
  }, 120_000);

  it('refuses KurrentDB clearly, changing nothing', async () => {
    const err: string[] = [];
    const code = await runEncryptEventsCli(
      {
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: 'kurrentdb://localhost:2113?tls=false',
        DATA_KEYS_POSTGRES_URL: 'postgres://x@localhost/x',
      },
      { stdout: sink([]), stderr: sink(err) },
    );
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/KurrentDB cannot rewrite an event in place.*copy the streams to new ones/i);
  });
});
