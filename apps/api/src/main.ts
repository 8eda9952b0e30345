import 'reflect-metadata';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Redis from 'ioredis';
import { notificationsEnv } from '@send/notifications';
import { warmCalendar } from '@send/sla';
import { ConfigError, loadConfig } from '@send/platform';
import { LIVE_DASHBOARD_THREAD, serveLiveDashboards } from '@send/read-models';
import { createApiApp } from './app.factory';
import { runImportCasesCli } from './cases/import-cases-cli';

/** `node dist/apps/api/main.js` runs the api; `... import-cases file.csv` imports cases and exits. */
async function main(): Promise<void> {
  if (process.argv[2] === 'import-cases') {
    process.exitCode = await runImportCasesCli(process.argv.slice(3));
    return;
  }
  // The worker sends the alerts, but both apps refuse a bad alert setting at start, as before.
  const config = loadConfig(process.env, notificationsEnv);
  // Bank holidays computed now, not on the first command that needs a due date (@send/sla).
  warmCalendar(config.policy, new Date());
  const app = await createApiApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  const shown = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
  console.log(`api listening on http://${shown}:${config.PORT} (API docs: http://${shown}:${config.PORT}/api/docs)`);
}

/** This bundle started as the api's live dashboard thread (LiveDashboardThread): serve dashboards, nothing else. */
function liveDashboardThread(): void {
  const config = loadConfig(process.env, notificationsEnv);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  serveLiveDashboards(parentPort!, { redis, policy: config.policy });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === LIVE_DASHBOARD_THREAD) liveDashboardThread();
else
  main().catch((err) => {
    // A bad setting names its variable: print just that, not a stack.
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
