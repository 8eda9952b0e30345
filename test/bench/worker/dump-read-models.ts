/**
 * The read models a catch-up leaves, as a file to compare across commits (every key, every value):
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/worker/dump-read-models.ts <store.sqlite> <out.json> [maxBatch]
 * A store that does not exist yet is made first (the worker bench's stories, 4,000 requests) and
 * kept, so the same events can be projected by another commit's code and the dumps diffed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { SqliteEventStore } from '@send/event-store';
import { keys, PROJECTIONS_NAME, ProjectionsRunner } from '@send/read-models';
import { dumpKeys } from '../../../libs/read-models/src/testing/read-model-fixtures';
import { CATCH_UP_SPREAD_MS, loadRequests, registerStaff, type StoryKind } from './dataset';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureRedisServer, startRedis, freePort } = require('../../../scripts/lib/redis.js');
async function main(): Promise<void> {
  const [path, out, maxBatch] = process.argv.slice(2);
  const dir = mkdtempSync(join(tmpdir(), 'dump-'));
  const server = await startRedis({
    binary: ensureRedisServer(() => undefined),
    port: await freePort(),
    dir: join(dir, 'r'),
    persistent: false,
  });
  const redis = new Redis(server.url);
  const fresh = !existsSync(path);
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  if (fresh) {
    const kinds: StoryKind[] = ['answered', 'escalated', 'working'];
    await registerStaff(store);
    await loadRequests(store, { requests: 4000, kindOf: (i) => kinds[i % 3], now: new Date(), spreadEveryMs: CATCH_UP_SPREAD_MS });
  }
  const head = store.readHead();
  const runner = new ProjectionsRunner({ store, redis, logger: { error: console.error }, maxBatch: Number(maxBatch ?? 2000) });
  await runner.start();
  while (BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0') < head) await new Promise((r) => setTimeout(r, 20));
  await runner.stop();
  const dump = await dumpKeys(redis);
  delete dump['lease:projections']; // its token differs from run to run
  const text = JSON.stringify(dump, null, 1);
  writeFileSync(out, text);
  console.log(`${Object.keys(dump).length} keys, sha ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  await store.close();
  await redis.quit();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
main();
