import { ThreadClient, threadScript, type ThreadScript } from '@send/event-store';
import type { PackedRead } from './access-log.port';
import type { CaseIndexing } from './sqlite-access-log-schema';

export interface AccessLogWriterOptions {
  path: string;
  busyTimeoutMs: number;
  caseIndexing: CaseIndexing;
}

export type ToAccessLogWriter = { type: 'append'; id: number; reads: readonly PackedRead[] } | { type: 'close' };

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
 * The api thread's end of the access log's writer thread (a ThreadClient, as the event store's
 * SqliteWriter, ADR 0018): a batch's promise resolves once its transaction committed on the thread,
 * or rejects with why. If the thread dies, the batch in flight is rejected and this writer refuses
 * every later one (`dead`): the store starts a new one for the next batch, and AccessLog keeps and
 * retries the rejected batch as any failed write.
 */
export class AccessLogWriter {
  private readonly thread: ThreadClient;

  constructor(options: AccessLogWriterOptions, script: ThreadScript) {
    this.thread = new ThreadClient(script, options, {
      name: "the access log's writer thread",
      onMessage: (reply: FromAccessLogWriter) =>
        this.thread.settle(
          reply.id,
          reply.type === 'written'
            ? undefined
            : Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }),
        ),
    });
  }

  /** Set once the thread died: this writer takes no more batches. */
  get dead(): boolean {
    return this.thread.dead !== null;
  }

  /** Writes a batch in one transaction on the thread. */
  append(reads: readonly PackedRead[]): Promise<void> {
    return this.thread.request<void>((id) => ({ type: 'append', id, reads }) satisfies ToAccessLogWriter, undefined);
  }

  /** Closes the write connection and ends the thread (after the batches in flight). */
  close(): Promise<void> {
    return this.thread.close({ type: 'close' } satisfies ToAccessLogWriter);
  }

  /** Ends the thread at once, as a crash would (tests of the failure path). */
  terminate(): Promise<number> {
    return this.thread.terminate();
  }
}
