import { PassThrough } from 'node:stream';
import { streamIdFor } from '@send/domain';
import { RETENTION_JOB_NAME, RetentionJob } from '@send/scheduling';
import {
  command,
  openStore,
  quietLogger,
  submit,
  testPolicy,
  uniquePrefix,
  type TestStore,
} from '@send/scheduling/testing/scheduling-test-kit';
import { testRedis } from '@send/event-store/testing/test-redis';
import { InMemoryDataKeyStore } from '../../../api/src/data-subjects/testing/in-memory-data-key-store';
import { runRetentionCli } from './retention-cli';

/**
 * Retention (issue 14, ADR 0017) on a real SQLite store, with the in-memory key store told whose
 * data each request holds as the store layer's decorator tells the real one: a request resolved
 * more than six years ago is erased, a recent one is kept, and so is an old one reopened since.
 */
const NOW = new Date('2026-12-01T10:00:00.000Z');
const YEARS_AGO = (years: number, days = 0) => new Date(Date.UTC(2026 - years, 11, 1 - days, 10));

let t: TestStore;
let keys: InMemoryDataKeyStore;
const ids: Record<'old' | 'recent' | 'reopened' | 'resolvedAgain' | 'open', string> = {} as never;

async function resolve(requestId: string, at: Date): Promise<void> {
  await command(
    t.store,
    { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'Sorted', withoutReply: { reason: 'withdrawn' } },
    at,
  );
}
async function reopen(requestId: string, at: Date): Promise<void> {
  await command(t.store, { type: 'ReopenRequest', requestId, by: 'officer-1', reason: 'Not sorted' }, at);
}

async function cli(): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await runRetentionCli({ NODE_ENV: 'test' }, { stdout, stderr }, async () => ({
    store: t.store,
    dataKeys: keys,
    now: () => NOW,
    close: async () => undefined,
  }));
  return { code, out, err };
}

const erasures = async (requestId: string) => (await t.store.read(streamIdFor(requestId))).filter((e) => e.type === 'PersonalDataErased');

beforeAll(async () => {
  t = openStore();
  keys = new InMemoryDataKeyStore();
  ids.old = await submit(t.store, { now: YEARS_AGO(7) });
  await resolve(ids.old, YEARS_AGO(7, -3));
  ids.recent = await submit(t.store, { now: YEARS_AGO(1) });
  await resolve(ids.recent, YEARS_AGO(1, -3));
  // Resolved seven years ago, then reopened: open now, so kept.
  ids.reopened = await submit(t.store, { now: YEARS_AGO(7) });
  await resolve(ids.reopened, YEARS_AGO(7, -3));
  await reopen(ids.reopened, YEARS_AGO(7, -5));
  // Resolved again five years ago: counts from then, so kept.
  ids.resolvedAgain = await submit(t.store, { now: YEARS_AGO(7) });
  await resolve(ids.resolvedAgain, YEARS_AGO(7, -3));
  await reopen(ids.resolvedAgain, YEARS_AGO(7, -5));
  await resolve(ids.resolvedAgain, YEARS_AGO(5));
  ids.open = await submit(t.store, { now: YEARS_AGO(7) });
  for (const [name, id] of Object.entries(ids)) await keys.keyFor(`contact:${name}@example.org`, streamIdFor(id));
}, 60_000);
afterAll(async () => {
  await t.cleanup();
});

describe('npm run retention', () => {
  it('erases a request resolved more than six years ago (marked, then its keys deleted) and keeps the rest', async () => {
    const { code, out, err } = await cli();
    expect([code, err]).toEqual([0, expect.stringContaining('finding requests resolved more than P6Y ago')]);
    expect(out).toMatch(
      /^Retention \(P6Y after resolution\): 3 resolved requests, 1 past retention, 1 erased now, 0 erased before, 1 data keys deleted/,
    );
    expect(await erasures(ids.old)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ reason: 'retention', by: 'system:retention', at: NOW.toISOString() }) }),
    ]);
    expect(await keys.scopesOf('contact:old@example.org')).toEqual([]);
    for (const kept of ['recent', 'reopened', 'resolvedAgain', 'open'] as const) {
      expect([kept, (await erasures(ids[kept])).length]).toEqual([kept, 0]);
      expect([kept, await keys.scopesOf(`contact:${kept}@example.org`)]).toEqual([kept, [streamIdFor(ids[kept])]]);
    }
  });

  it('says why it cannot run when the stores do not open, and exits 1 having erased nothing', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => (err += String(c)));
    const code = await runRetentionCli({ NODE_ENV: 'test' }, { stdout, stderr }, async () => {
      throw new Error('no data key store is configured (DATA_KEYS)');
    });
    expect(code).toBe(1);
    expect(err).toBe('retention cannot run: no data key store is configured (DATA_KEYS)\n');
  });

  it('a second run erases nothing again', async () => {
    const { code, out } = await cli();
    expect(code).toBe(0);
    expect(out).toMatch(/1 past retention, 0 erased now, 1 erased before, 0 data keys deleted/);
    expect(await erasures(ids.old)).toHaveLength(1);
  });
});

describe('the daily job', () => {
  it('is one BullMQ job scheduler, nightly in the policy time zone, whose run is the same retention', async () => {
    const redis = await testRedis();
    const job = new RetentionJob({
      store: t.store,
      dataKeys: keys,
      policy: testPolicy,
      clock: () => NOW,
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      logger: quietLogger,
    });
    try {
      await job.start();
      const scheduler = await job.queue.getJobScheduler(RETENTION_JOB_NAME);
      expect(scheduler).toMatchObject({ pattern: '30 2 * * *', tz: testPolicy.calendar.timezone });
      // Its run replays the erasures too: the keys are as the erasures left them, so none deleted again.
      expect(await job.run()).toMatchObject({ pastRetention: 1, erased: 0, alreadyErased: 1, keysDeletedAgain: 0 });
    } finally {
      await job.stop();
      await redis.stop();
    }
  });
});
