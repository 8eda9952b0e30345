/**
 * The access log's writer thread (ADR 0014, 2026-12-02): owns the write connection to the access
 * log's file and commits each batch here, so the api's event loop never waits on SQLite (a 100-row
 * queue page's batch took 2-6 ms there, and the next request waited behind it). Started by
 * AccessLogWriter (access-log-writer.ts); built as its own file beside the api's main.js
 * (webpack.config.js).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { accessLogWriter, openAccessLogDb } from './sqlite-access-log-schema';
import type { AccessLogWriterOptions, FromAccessLogWriter, ToAccessLogWriter } from './access-log-writer';

const port = parentPort;
if (!port) throw new Error('access-log-writer.thread runs as a worker thread (started by SqliteAccessLogStore), not on its own');
const options = workerData as AccessLogWriterOptions;

const db = openAccessLogDb(options.path, options.busyTimeoutMs);
const write = accessLogWriter(db, options.caseIndexing);

port.on('message', (message: ToAccessLogWriter) => {
  if (message.type === 'close') {
    db.close();
    process.exit(0); // ends this thread only
  }
  const started = performance.now();
  let reply: FromAccessLogWriter;
  try {
    write(message.reads);
    reply = { type: 'written', id: message.id, ms: performance.now() - started };
  } catch (error) {
    const { name, message: text, code } = error as Error & { code?: string };
    reply = { type: 'failed', id: message.id, error: { name, message: text, code } };
  }
  port.postMessage(reply);
});
