import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BatchItem } from './sqlite-append';
import type { FromWriter, ToWriter, WriterOptions } from './sqlite-writer.protocol';

/** The thread's script when this module runs as compiled JavaScript: next to the bundle (webpack.config.js) or to this file (tsc). */
const COMPILED_SCRIPT = 'sqlite-writer.thread.js';

/**
 * Where the writer thread's code is, in each way this module runs:
 * - from TypeScript sources (ts-jest, `node -r register-ts.js` for benches and CLIs): the thread
 *   loads sqlite-writer.thread.ts through the same register-ts.js (which caches its transpiled
 *   output on disk, so a thread starts without loading the TypeScript compiler);
 * - from a webpack bundle (dist/apps/<app>/main.js): __dirname is the bundle's folder, where
 *   webpack.config.js emits sqlite-writer.thread.js as a second entry;
 * - from plain tsc output: the compiled sqlite-writer.thread.js beside this file.
 */
export function writerScript(): { script: string; eval: boolean } {
  if (__filename.endsWith('.ts')) {
    const registerTs = resolve(__dirname, '../testing/register-ts.js');
    const thread = resolve(__dirname, 'sqlite-writer.thread.ts');
    return { script: `require(${JSON.stringify(registerTs)}); require(${JSON.stringify(thread)});`, eval: true };
  }
  const script = join(__dirname, COMPILED_SCRIPT);
  if (!existsSync(script)) {
    throw new Error(
      `SqliteEventStore: the writer thread's script ${script} is missing. Build with \`npm run build\` (webpack.config.js emits ` +
        `${COMPILED_SCRIPT} beside each app's main.js), or set SQLITE_WRITER=inline to commit on the main thread.`,
    );
  }
  return { script, eval: false };
}

/**
 * The main thread's end of the writer thread: one batch in flight at a time (the store queues the
 * next), its answer as a promise. If the thread dies (a crash, an uncaught error, terminated), the
 * batch in flight is rejected with why and `onDeath` is told once; the thread is never restarted
 * (a batch it was committing may or may not be stored: only a fresh process, re-reading the file,
 * knows, and an idempotent retry of the same append is then safe).
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private inFlight: { resolve: (reply: FromWriter) => void; reject: (error: Error) => void } | null = null;
  private closing = false;
  private dead: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(options: WriterOptions, onDeath: (error: Error) => void, { script, eval: isEval } = writerScript()) {
    // execArgv: [] so the app's own node flags (--cpu-prof, -r ...) do not apply to the thread.
    this.worker = new Worker(script, { eval: isEval, workerData: options, execArgv: [] });
    // Idle, the thread must not keep the process alive (as the inline writer never did); it is
    // ref'd while a batch is in flight, whose caller is waiting on it.
    this.worker.unref();
    const die = (error: Error) => {
      if (this.dead) return;
      this.dead = error;
      const pending = this.inFlight;
      this.inFlight = null;
      pending?.reject(error);
      onDeath(error);
    };
    this.worker.on('message', (reply: FromWriter) => {
      const pending = this.inFlight;
      this.inFlight = null;
      this.worker.unref();
      pending?.resolve(reply);
    });
    this.worker.on('error', (error) => die(new Error(`SqliteEventStore: its writer thread failed: ${error.message}`, { cause: error })));
    this.exited = new Promise<void>((resolveExit) =>
      this.worker.on('exit', (code) => {
        if (!this.closing) die(new Error(`SqliteEventStore: its writer thread exited unexpectedly (code ${code})`));
        resolveExit();
      }),
    );
  }

  /** Commits one batch on the thread. Only one at a time: the store sends the next after this settles. */
  commit(items: BatchItem[]): Promise<FromWriter> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.inFlight) return Promise.reject(new Error('SqliteWriter: a batch is already in flight'));
    return new Promise<FromWriter>((resolveReply, reject) => {
      this.inFlight = { resolve: resolveReply, reject };
      this.worker.ref();
      // Only what the commit needs crosses (the queue's items also hold the caller's callbacks and objects).
      this.send({ type: 'batch', items: items.map(({ stream, expected, events }) => ({ stream, expected, events })) });
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

  private send(message: ToWriter): void {
    this.worker.postMessage(message);
  }
}
