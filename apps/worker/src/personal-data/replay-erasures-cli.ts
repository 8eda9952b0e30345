import type { DataKeyStore, EventStore } from '@send/event-store';
import type { AppConfig } from '@send/platform/config';
import { createStores } from '@send/platform/personal-data';
import { replayErasures } from '@send/scheduling';
import { cliConfig, cliOpen, CliProgress, type CliIo } from '../cli-support';

/** The event store (decrypting) and the key store a run works on. */
export interface ReplayErasuresStores {
  store: EventStore;
  dataKeys: DataKeyStore | null;
  close(): Promise<void>;
}

const configuredStores = async (config: AppConfig): Promise<ReplayErasuresStores> => {
  const { store, dataKeys } = createStores(config);
  return { store, dataKeys, close: () => store.close() };
};

/**
 * `npm run replay-erasures` (or `node dist/apps/worker/main.js replay-erasures`): after restoring a
 * backup, deletes again every data key an erasure or retention had deleted and the restored key
 * store holds again (ADR 0017, "After a restore"), with a progress bar, and prints the counts.
 * Idempotent. Then rebuild the read models, so they read the erased data as erased too. Returns the
 * process exit code.
 */
export async function runReplayErasuresCli(
  env: NodeJS.ProcessEnv = process.env,
  io: CliIo = process,
  open: (config: AppConfig) => Promise<ReplayErasuresStores> = configuredStores,
): Promise<number> {
  const config = cliConfig(env, io);
  if (!config) return 1;
  const stores = await cliOpen('replay-erasures', io, () => open(config));
  if (!stores) return 1;
  const { store, dataKeys } = stores;
  if (!dataKeys) {
    await stores.close().catch(() => undefined);
    io.stderr.write('replay-erasures: PERSONAL_DATA_ENCRYPTION=false: there are no data keys to delete; nothing was changed.\n');
    return 2;
  }
  const bar = new CliProgress(io, 'replaying erasures [{bar}] {value}/{total}');
  try {
    io.stderr.write('finding the erasures recorded in the event store...\n');
    const report = await replayErasures({
      store,
      dataKeys,
      onProgress: ({ done, total }) => bar.update(done, total),
    });
    bar.stop();
    io.stdout.write(
      `Erasures replayed: ${report.marks} streams marked erased, ${report.records} erasure record${report.records === 1 ? '' : 's'}, ` +
        `${report.keysDeleted} data keys deleted again, in ${(report.ms / 1000).toFixed(1)} s\n`,
    );
    if (report.keysDeleted > 0)
      io.stdout.write('The restored keys held erased data: rebuild the read models now (npm run rebuild-read-models).\n');
    return 0;
  } catch (error) {
    bar.stop();
    io.stderr.write(`replay-erasures failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await stores.close().catch(() => undefined);
  }
}
