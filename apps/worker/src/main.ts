import 'reflect-metadata';
import { ConfigError, loadConfig } from '@send/platform';
import { createWorkerApp } from './worker.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  await createWorkerApp(config);
  console.log(`worker running (event store: ${config.EVENT_STORE}, redis: ${config.REDIS_URL})`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
