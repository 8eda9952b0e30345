import Redis from 'ioredis';
import { createStores } from '@send/platform/personal-data';
import { rebuildReadModels, type RebuildProgress } from '@send/read-models';
import { cliConfig, CliProgress, type CliIo } from '../cli-support';

/**
 * `npm run rebuild-read-models` (or `node dist/apps/worker/main.js rebuild-read-models`): drops and
 * rebuilds every read model from the event store configured by the environment (EVENT_STORE,
 * SQLITE_PATH, POSTGRES_URL, KURRENTDB_URL, REDIS_URL), with a progress bar, while the api keeps serving and the
 * worker's projector waits. It lives with the worker, the app that owns the projections. Returns the
 * process exit code.
 */
export async function runRebuildCli(env: NodeJS.ProcessEnv = process.env, io: CliIo = process): Promise<number> {
  const config = cliConfig(env, io);
  if (!config) return 1;
  // Through the encryption layer, as the apps: what it writes is encrypted, what it reads decrypted.
  const { store } = createStores(config);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  const bar = new CliProgress(io, 'rebuilding read models [{bar}] {percentage}% | {events} events');
  const onProgress = (p: RebuildProgress) => {
    if (p.phase === 'waiting-for-lease') io.stderr.write('waiting for the projections lease (the worker pauses its projector)...\n');
    if (p.phase === 'dropping') io.stderr.write('dropping read models...\n');
    if (p.phase !== 'replaying' && p.phase !== 'done') return;
    const total = Number(p.head ?? 0n);
    bar.update(p.phase === 'done' ? total : Number(p.position ?? 0n), total, { events: p.events });
  };
  try {
    await redis.connect();
    const result = await rebuildReadModels({ store, redis, onProgress });
    bar.stop();
    io.stdout.write(
      `Rebuilt read models from ${result.events} events (${result.requests} requests) in ${(result.ms / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    bar.stop();
    io.stderr.write(`rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await redis.quit().catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}
