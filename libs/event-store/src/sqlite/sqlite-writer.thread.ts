/**
 * The SQLite store's writer thread (ADR 0018): owns the write connection and runs each group
 * commit (checks, inserts, the fsync of synchronous=FULL) here, so the app's event loop never waits
 * on the disk. Started by SqliteWriter (sqlite-writer.ts); built as its own file next to each app's
 * main.js (webpack.config.js). The same script, started with role 'checkpointer', is the writer's
 * checkpointer thread: it checkpoints the WAL on a connection of its own, so no commit waits for
 * one (ADR 0018, checkpoints).
 */
import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { BatchItem } from './sqlite-append';
import { batchCommitter } from './sqlite-append';
import {
  connectionSettingsOf,
  toWire,
  type FromWriter,
  type ToWriter,
  type WireOutcome,
  type WriterOptions,
} from './sqlite-writer.protocol';

const port = parentPort;
if (!port) throw new Error('sqlite-writer.thread runs as a worker thread (started by SqliteEventStore), not on its own');
const options = workerData as WriterOptions;

const db = new Database(options.path, { timeout: options.busyTimeoutMs });
db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKib)}`);
db.pragma(`wal_autocheckpoint = ${Math.trunc(options.walAutocheckpoint)}`);

/** The writer's committer (the checkpointer has none). */
const commit = options.role === 'checkpointer' ? null : batchCommitter(db);
// SqliteWriter starts a checkpointer only with checkpointEveryMs > 0.
if (options.role === 'checkpointer') checkpointEvery(options.checkpointEveryMs!);
else port.on('message', commitWhatWaits);

/**
 * The checkpointer: a PASSIVE checkpoint every `ms`, which copies what the WAL holds into the
 * database file while commits go on (it never waits for, nor blocks, a writer or a reader), and
 * does next to nothing when there is nothing new. A failed one (the writer's backstop checkpoint
 * holding the lock, an I/O error) is tried again at the next tick; meanwhile the backstop bounds the WAL.
 */
function checkpointEvery(ms: number): void {
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // tried again at the next tick
    }
  }, ms);
  port!.on('message', (message: ToWriter) => {
    if (message.type === 'settings') answerSettings(message.id);
    if (message.type !== 'close') return;
    clearInterval(timer);
    db.close();
    process.exit(0); // ends this thread only
  });
}

/** This connection's pragmas, to the settings request `id`. */
function answerSettings(id: number): void {
  port!.postMessage({ type: 'settings', id, ...connectionSettingsOf(db) } satisfies FromWriter);
}

function commitWhatWaits(first: ToWriter): void {
  // Group commit: every batch that arrived while the last transaction ran goes in this one, so
  // under load a transaction (and its fsync) holds everything sent meanwhile, and the next batch
  // never waits for a round trip to the app's thread.
  const batches: Extract<ToWriter, { type: 'batch' }>[] = [];
  let close = false;
  const settings: number[] = [];
  for (let message: ToWriter | undefined = first; message; message = receiveMessageOnPort(port!)?.message as ToWriter | undefined) {
    if (message.type === 'close') close = true;
    else if (message.type === 'settings') settings.push(message.id);
    else batches.push(message);
  }
  if (batches.length > 0) port!.postMessage(commitBatches(batches));
  for (const id of settings) answerSettings(id);
  if (close) {
    db.close();
    process.exit(0); // ends this thread only
  }
}

function commitBatches(batches: { id: number; items: BatchItem[] }[]): FromWriter {
  const started = performance.now();
  const items = batches.length === 1 ? batches[0].items : batches.flatMap((b) => b.items);
  try {
    const { recordedAt, outcomes } = commit!(items);
    const wire: WireOutcome[] = outcomes.map((o) => (o.kind === 'failed' ? { kind: 'failed', error: toWire(o.error) } : o));
    let at = 0;
    const answered = batches.map(({ id, items: batchItems }) => ({ id, outcomes: wire.slice(at, (at += batchItems.length)) }));
    return { type: 'committed', recordedAt, batches: answered, ms: performance.now() - started };
  } catch (error) {
    return { type: 'not-committed', ids: batches.map((b) => b.id), error: toWire(error), ms: performance.now() - started };
  }
}
