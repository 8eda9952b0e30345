import {
  EncryptingEventStore,
  PostgresEventsRewriter,
  SqliteEventsRewriter,
  encryptStoredEvents,
  type StoredEventsRewriter,
} from '@send/event-store';
import { createStores } from '@send/platform/personal-data';
import { cliConfig, CliProgress, type CliIo } from '../cli-support';

/**
 * `npm run encrypt-events` (or `node dist/apps/worker/main.js encrypt-events`): encrypts, in place,
 * the personal fields of events written before encryption (issue 14, ADR 0016), in the store the
 * environment configures, with a progress bar. Resumable and idempotent: run it again after an
 * interruption, or to be sure. Rebuild the read models after it only if they should drop text the
 * store no longer shows (they hold what they held; encryption changes no value a reader sees).
 * Returns the process exit code.
 */
export async function runEncryptEventsCli(env: NodeJS.ProcessEnv = process.env, io: CliIo = process): Promise<number> {
  const config = cliConfig(env, io);
  if (!config) return 1;
  if (config.EVENT_STORE === 'kurrentdb') {
    io.stderr.write(
      'encrypt-events: KurrentDB cannot rewrite an event in place (its log is immutable). Copy the streams to new ones ' +
        'through the encrypting store instead (ADR 0016, "Existing data"); nothing was changed.\n',
    );
    return 2;
  }
  if (!config.PERSONAL_DATA_ENCRYPTION) {
    io.stderr.write('encrypt-events: PERSONAL_DATA_ENCRYPTION=false: there is nothing to encrypt with; nothing was changed.\n');
    return 2;
  }
  const { store } = createStores(config);
  let rewriter: StoredEventsRewriter | null = null;
  const bar = new CliProgress(io, 'encrypting personal data [{bar}] {percentage}% | {value}/{total} events | {encrypted} rewritten');
  try {
    rewriter =
      config.EVENT_STORE === 'sqlite'
        ? new SqliteEventsRewriter(config.SQLITE_PATH)
        : new PostgresEventsRewriter(config.POSTGRES_URL!, config.POSTGRES_SCHEMA);
    const result = await encryptStoredEvents({
      rewriter,
      store: store as EncryptingEventStore,
      onProgress: (p) => bar.update(p.done, p.total, { encrypted: p.encrypted }),
    });
    bar.stop();
    io.stdout.write(
      `Encrypted the personal data of ${result.encrypted} of ${result.events} events` +
        `${result.resumedFrom > 0n ? ` (resumed after position ${result.resumedFrom})` : ''} in ${(result.ms / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    bar.stop();
    io.stderr.write(`encrypt-events failed: ${error instanceof Error ? error.message : String(error)} (run it again: it resumes)\n`);
    return 1;
  } finally {
    await rewriter?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}
