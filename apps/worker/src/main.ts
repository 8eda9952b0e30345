import 'reflect-metadata';
import { notificationsEnv } from '@send/notifications';
import { warmCalendar } from '@send/sla';
import { ConfigError, loadConfig, withoutCredentials } from '@send/platform';
import { runRebuildCli } from './rebuild/rebuild-cli';
import { runEncryptEventsCli } from './personal-data/encrypt-events-cli';
import { runReplayErasuresCli } from './personal-data/replay-erasures-cli';
import { runRetentionCli } from './retention/retention-cli';
import { createWorkerApp } from './worker.factory';
import { yieldCpuToApi } from './worker-priority';

/**
 * `node dist/apps/worker/main.js` runs the worker; `... rebuild-read-models` rebuilds the Redis read
 * models and exits; `... retention` runs retention once and exits; `... encrypt-events` encrypts the
 * personal data of events stored before (ADR 0016); `... replay-erasures` deletes again, after a
 * restore, the data keys erasures had deleted (ADR 0017).
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'rebuild-read-models') {
    process.exitCode = await runRebuildCli(process.env);
    return;
  }
  if (process.argv[2] === 'retention') {
    process.exitCode = await runRetentionCli(process.env);
    return;
  }
  if (process.argv[2] === 'encrypt-events') {
    process.exitCode = await runEncryptEventsCli(process.env);
    return;
  }
  if (process.argv[2] === 'replay-erasures') {
    process.exitCode = await runReplayErasuresCli(process.env);
    return;
  }
  const config = loadConfig(process.env, notificationsEnv);
  const priority = yieldCpuToApi(config.WORKER_NICE);
  // Bank holidays computed now, not on the first command that needs a due date (@send/sla).
  warmCalendar(config.policy, new Date());
  await createWorkerApp(config);
  console.log(`worker running (event store: ${config.EVENT_STORE}, redis: ${withoutCredentials(config.REDIS_URL)}) ${priority}`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
