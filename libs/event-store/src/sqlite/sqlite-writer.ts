import { Worker } from 'node:worker_threads';
import type { NewDataKeyRow } from '../personal-data/data-key-store.port';
import type { BatchItem } from './sqlite-append';
import { threadScript, type ThreadScript } from './thread-script';
import type { ConnectionSettings, FromWriter, ToWriter, WireError, WireOutcome, WriterOptions } from './sqlite-writer.protocol';

/**
 * Where the writer thread's code is (ts-jest and register-ts.js, a webpack bundle, or tsc output):
 * see threadScript.
 */
export function writerScript(): ThreadScript {
  return threadScript(
    { filename: __filename, dirname: __dirname },
    'sqlite-writer.thread',
    'SqliteEventStore',
    'or set SQLITE_WRITER=inline to commit on the main thread',
  );
}

/** One batch's answer: its appends' outcomes (typed errors still on the wire), or the transaction's error. */
export type BatchReply = { committed: true; recordedAt: string; outcomes: WireOutcome[] } | { committed: false; error: WireError };

export interface SqliteWriterEvents {
  /** The thread died: told once, after every batch in flight was rejected with `error`. */
  onDeath(error: Error): void;
  /** After each transaction on the thread (for the store's observer). */
  onTransaction(stats: { appends: number; events: number; ms: number; committed: boolean }): void;
}

/**
 * The main thread's end of the writer thread. Batches are sent as they come; the thread commits
 * all that wait for it in one transaction (sqlite-writer.thread.ts), so each batch's promise
 * resolves when the transaction that held it is answered. If the thread dies (a crash, an uncaught
 * error, terminated), every batch in flight is rejected with why and `onDeath` is told once; the
 * thread is never restarted (a batch it was committing may or may not be stored: only a fresh
 * process, re-reading the file, knows, and an idempotent retry of the same append is then safe).
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly inFlight = new Map<
    number,
    { items: BatchItem[]; resolve: (reply: BatchReply) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  /** Callers of settings(), answered in order (the thread answers them in the order asked). */
  private readonly settingsWaiting: { resolve: (s: ConnectionSettings) => void; reject: (error: Error) => void }[] = [];
  private closing = false;
  private dead: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(options: WriterOptions, events: SqliteWriterEvents, { script, eval: isEval } = writerScript()) {
    // execArgv: [] so the app's own node flags (--cpu-prof, -r ...) do not apply to the thread.
    this.worker = new Worker(script, { eval: isEval, workerData: options, execArgv: [] });
    // Idle, the thread must not keep the process alive (as the inline writer never did); it is
    // ref'd while batches are in flight, whose callers wait on them.
    this.worker.unref();
    const die = (error: Error) => {
      if (this.dead) return;
      this.dead = error;
      const pending = [...this.inFlight.values()];
      this.inFlight.clear();
      for (const batch of pending) batch.reject(error);
      for (const waiting of this.settingsWaiting.splice(0)) waiting.reject(error);
      events.onDeath(error);
    };
    this.worker.on('message', (reply: FromWriter) => {
      if (reply.type === 'settings') {
        const { type: _type, ...settings } = reply;
        this.settingsWaiting.shift()?.resolve(settings);
        if (this.inFlight.size === 0 && this.settingsWaiting.length === 0) this.worker.unref();
        return;
      }
      const ids = reply.type === 'committed' ? reply.batches.map((b) => b.id) : reply.ids;
      let appends = 0;
      let eventCount = 0;
      for (const id of ids) {
        const batch = this.inFlight.get(id)!;
        appends += batch.items.length;
        for (const item of batch.items) eventCount += item.events.length;
      }
      events.onTransaction({ appends, events: eventCount, ms: reply.ms, committed: reply.type === 'committed' });
      if (reply.type === 'committed') {
        for (const { id, outcomes } of reply.batches) this.settle(id, { committed: true, recordedAt: reply.recordedAt, outcomes });
      } else {
        for (const id of reply.ids) this.settle(id, { committed: false, error: reply.error });
      }
      if (this.inFlight.size === 0 && this.settingsWaiting.length === 0) this.worker.unref();
    });
    this.worker.on('error', (error) => die(new Error(`SqliteEventStore: its writer thread failed: ${error.message}`, { cause: error })));
    this.exited = new Promise<void>((resolveExit) =>
      this.worker.on('exit', (code) => {
        if (!this.closing) die(new Error(`SqliteEventStore: its writer thread exited unexpectedly (code ${code})`));
        resolveExit();
      }),
    );
  }

  /** Sends a batch to the thread; resolves with its appends' outcomes once its transaction is answered. */
  commit(items: BatchItem[]): Promise<BatchReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<BatchReply>((resolveReply, reject) => {
      this.inFlight.set(id, { items, resolve: resolveReply, reject });
      this.worker.ref();
      // Only what the commit needs crosses (the queue's items also hold the caller's callbacks and objects).
      this.send({
        type: 'batch',
        id,
        items: items.map(({ stream, expected, events, dataKeys }) =>
          dataKeys ? { stream, expected, events, dataKeys: dataKeys.map(asText) } : { stream, expected, events },
        ),
      });
    });
  }

  /** The write connection's pragmas, as the thread's SQLite reports them. */
  settings(): Promise<ConnectionSettings> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<ConnectionSettings>((resolveSettings, reject) => {
      this.settingsWaiting.push({ resolve: resolveSettings, reject });
      this.worker.ref();
      this.send({ type: 'settings' });
    });
  }

  /** Closes the write connection and ends the thread (call when no batch is in flight). */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.dead) {
      this.worker.ref();
      this.send({ type: 'close' });
    }
    await this.exited;
  }

  /** Ends the thread at once, whatever it is doing (for tests of a thread that dies). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private settle(id: number, reply: BatchReply): void {
    const batch = this.inFlight.get(id);
    this.inFlight.delete(id);
    batch?.resolve(reply);
  }

  private send(message: ToWriter): void {
    this.worker.postMessage(message);
  }
}

/**
 * A key row with its bytes as base64 text: structured clone copies a typed array's whole buffer,
 * and a small Buffer is a view of an 8 KB pool, so each row would carry 16 KB to the thread.
 */
function asText(row: NewDataKeyRow): NewDataKeyRow {
  return { ...row, subjectSealed: base64(row.subjectSealed), wrappedKey: base64(row.wrappedKey) };
}

const base64 = (bytes: Uint8Array | string): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
