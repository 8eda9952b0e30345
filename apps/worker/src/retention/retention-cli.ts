import { NestFactory } from '@nestjs/core';
import type { DataKeyStore, EventStore } from '@send/event-store';
import type { AppConfig } from '@send/platform/config';
import { Clock, DATA_KEYS, EVENT_STORE, PlatformModule } from '@send/platform';
import { runRetention } from '@send/scheduling';
import { cliConfig, cliOpen, CliProgress, type CliIo } from '../cli-support';

/** The event store and key store a run works on, and how to let them go. */
export interface RetentionStores {
  store: EventStore;
  dataKeys: DataKeyStore;
  now(): Date;
  close(): Promise<void>;
}

/**
 * The stores as the apps have them: the platform module's event store (which decrypts) and its
 * DATA_KEYS, so the CLI erases exactly as the worker's daily job does.
 */
async function platformStores(config: AppConfig): Promise<RetentionStores> {
  const app = await NestFactory.createApplicationContext(PlatformModule.forRoot(config), { logger: false });
  try {
    const dataKeys = app.get<DataKeyStore>(DATA_KEYS, { strict: false });
    const clock = app.get(Clock);
    return { store: app.get<EventStore>(EVENT_STORE), dataKeys, now: () => clock.now(), close: () => app.close() };
  } catch (error) {
    await app.close();
    throw new Error(`no data key store is configured (DATA_KEYS): ${(error as Error).message}`);
  }
}

/**
 * `npm run retention` (or `node dist/apps/worker/main.js retention`): erases the personal data of
 * every request resolved longer ago than the policy's retention.closedRequests, with a progress
 * bar, and prints the counts. The worker runs the same every night. Returns the process exit code.
 */
export async function runRetentionCli(
  env: NodeJS.ProcessEnv = process.env,
  io: CliIo = process,
  open: (config: AppConfig) => Promise<RetentionStores> = platformStores,
): Promise<number> {
  const config = cliConfig(env, io);
  if (!config) return 1;
  const stores = await cliOpen('retention', io, () => open(config));
  if (!stores) return 1;
  const bar = new CliProgress(io, 'erasing requests past retention [{bar}] {value}/{total}');
  try {
    io.stderr.write(`finding requests resolved more than ${config.policy.retention.closedRequests} ago...\n`);
    const report = await runRetention({
      store: stores.store,
      dataKeys: stores.dataKeys,
      policy: config.policy,
      clock: () => stores.now(),
      onProgress: ({ done, total }) => bar.update(done, total),
    });
    bar.stop();
    io.stdout.write(
      `Retention (${config.policy.retention.closedRequests} after resolution): ${report.resolved} resolved requests, ` +
        `${report.pastRetention} past retention, ${report.erased} erased now, ${report.alreadyErased} erased before, ` +
        `${report.keysDeleted} data keys deleted, in ${(report.ms / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    bar.stop();
    io.stderr.write(`retention failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await stores.close().catch(() => undefined);
  }
}
