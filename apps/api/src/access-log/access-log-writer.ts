import { Worker } from 'node:worker_threads';
import { threadScript, type ThreadScript } from '@send/event-store';
import type { WireEntry } from './sqlite-access-log-schema';

export interface AccessLogWriterOptions {
  path: string;
  busyTimeoutMs: number;
}

export type ToAccessLogWriter = { type: 'append'; id: number; entries: WireEntry[] } | { type: 'close' };

export type FromAccessLogWriter =
  | { type: 'written'; id: number; ms: number }
  /** The transaction failed (busy past the timeout, disk full...): nothing of the batch is stored. */
  | { type: 'failed'; id: number; error: { name: string; message: string; code?: string } };

/** Where the thread's code is: access-log-writer.thread.ts from sources, access-log-writer.thread.js beside main.js when built. */
export function accessLogWriterScript(): ThreadScript {
  return threadScript(
    { filename: __filename, dirname: __dirname },
    'access-log-writer.thread',
    'SqliteAccessLogStore',
    'or set SQLITE_WRITER=inline to write the access log on the main thread',
  );
}

/**
 * The api thread's end of the access log's writer thread (the same lifecycle as the event store's
 * SqliteWriter, ADR 0018): a batch's promise resolves once its transaction committed on the thread,
 * or rejects with why. Idle, the thread does not keep the process alive. If the thread dies, the
 * batch in flight is rejected and this writer refuses every later one (`dead`): the store starts a
 * new one for the next batch, and AccessLog keeps and retries the rejected batch as any failed write.
 */
export class AccessLogWriter {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private closing = false;
  private died: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(options: AccessLogWriterOptions, { script, eval: isEval }: ThreadScript) {
    // execArgv: [] so the api's own node flags (--cpu-prof, -r ...) do not apply to the thread.
    this.worker = new Worker(script, { eval: isEval, workerData: options, execArgv: [] });
    this.worker.unref();
    const die = (error: Error) => {
      if (this.died) return;
      this.died = error;
      const pending = [...this.inFlight.values()];
      this.inFlight.clear();
      for (const batch of pending) batch.reject(error);
    };
    this.worker.on('message', (reply: FromAccessLogWriter) => {
      const batch = this.inFlight.get(reply.id);
      this.inFlight.delete(reply.id);
      if (this.inFlight.size === 0) this.worker.unref();
      if (reply.type === 'written') batch?.resolve();
      else batch?.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }));
    });
    this.worker.on('error', (error) => die(new Error(`the access log's writer thread failed: ${error.message}`, { cause: error })));
    this.exited = new Promise<void>((resolveExit) =>
      this.worker.on('exit', (code) => {
        if (!this.closing) die(new Error(`the access log's writer thread exited unexpectedly (code ${code})`));
        resolveExit();
      }),
    );
  }

  /** Set once the thread died: this writer takes no more batches. */
  get dead(): boolean {
    return this.died !== null;
  }

  /** Writes a batch in one transaction on the thread. */
  append(entries: WireEntry[]): Promise<void> {
    if (this.died) return Promise.reject(this.died);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      // Ref'd while a batch is in flight: its caller (a flush at shutdown, a query) waits on it.
      this.worker.ref();
      this.worker.postMessage({ type: 'append', id, entries } satisfies ToAccessLogWriter);
    });
  }

  /** Closes the write connection and ends the thread (after the batches in flight). */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.died) {
      this.worker.ref();
      this.worker.postMessage({ type: 'close' } satisfies ToAccessLogWriter);
    }
    await this.exited;
  }

  /** Ends the thread at once, as a crash would (tests of the failure path). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
