/**
 * The worker side of the live phases in its own process, as deployed (the api appends in one
 * process, the worker projects and notifies in another, over the same SQLite file):
 *   node -r <register-ts> worker-child.ts <sqlite> <redisUrl> <projections|projections,notifications>
 * Prints {"ready":true} once the projections reached the store's head; stops on SIGTERM.
 */
import Redis from 'ioredis';
import { SqliteEventStore } from '@send/event-store';
import { createNotifications } from '@send/notifications';
import { keys, PROJECTIONS_NAME, ProjectionsRunner } from '@send/read-models';

const [sqlitePath, redisUrl, parts = 'projections'] = process.argv.slice(2);
const quiet = { error: (m: string, e?: unknown) => console.error(m, e), info: () => undefined, log: () => undefined, warn: () => undefined };

async function main(): Promise<void> {
  const store = new SqliteEventStore({ path: sqlitePath });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const runner = new ProjectionsRunner({ store, redis, logger: quiet });
  const notifications = parts.includes('notifications')
    ? createNotifications({ store, redis, config: {}, clock: () => new Date(), logger: quiet })
    : null;
  await runner.start();
  await notifications?.start();
  const head = store.readHead();
  while (BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0') < head) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await notifications?.stop();
    await runner.stop();
    await redis.quit().catch(() => redis.disconnect());
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  // Parent gone (its stdin pipe closed): stop too, so no orphan is left behind.
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
