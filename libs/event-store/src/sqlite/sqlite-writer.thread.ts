/**
 * The SQLite store's writer thread (ADR 0018): owns the write connection and runs each group
 * commit (checks, inserts, the fsync of synchronous=FULL) here, so the app's event loop never waits
 * on the disk. Started by SqliteWriter (sqlite-writer.ts); built as its own file next to each app's
 * main.js (webpack.config.js).
 */
import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { batchCommitter } from './sqlite-append';
import { toWire, type FromWriter, type ToWriter, type WireOutcome, type WriterOptions } from './sqlite-writer.protocol';

const port = parentPort;
if (!port) throw new Error('sqlite-writer.thread runs as a worker thread (started by SqliteEventStore), not on its own');
const options = workerData as WriterOptions;

const db = new Database(options.path, { timeout: options.busyTimeoutMs });
db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
const commit = batchCommitter(db);

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    process.exit(0); // ends this thread only
  }
  const started = performance.now();
  let reply: FromWriter;
  try {
    const { recordedAt, outcomes } = commit(message.items);
    const wire: WireOutcome[] = outcomes.map((o) => (o.kind === 'failed' ? { kind: 'failed', error: toWire(o.error) } : o));
    reply = { type: 'committed', recordedAt, outcomes: wire, ms: performance.now() - started };
  } catch (error) {
    reply = { type: 'not-committed', error: toWire(error), ms: performance.now() - started };
  }
  port.postMessage(reply);
});
