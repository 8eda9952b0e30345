import type { NewDataKeyRow } from '../personal-data/data-key-store.port';
import type { BatchItem } from './sqlite-append';
import { ThreadClient } from './thread-client';
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
  /** Each request keeps its batch's items (null for a settings request), to count what a transaction held. */
  private readonly thread: ThreadClient<BatchItem[] | null>;
  /**
   * The checkpointer thread (options.checkpointEveryMs > 0): the same script with role
   * 'checkpointer', checkpointing on a connection of its own so no commit waits for a checkpoint.
   * Started after the first commit (nothing to checkpoint before; the writer starts alone, as it
   * did). Should it die, appends go on and the writer's backstop (walAutocheckpoint) bounds the WAL.
   */
  private checkpointer: ThreadClient | null = null;
  private readonly startCheckpointer: (() => ThreadClient) | null;

  constructor(
    options: WriterOptions,
    private readonly events: SqliteWriterEvents,
    script = writerScript(),
  ) {
    this.thread = new ThreadClient(script, { ...options, role: 'writer' } satisfies WriterOptions, {
      name: 'SqliteEventStore: its writer thread',
      onMessage: (reply: FromWriter) => this.answer(reply),
      onDeath: (error) => events.onDeath(error),
    });
    this.startCheckpointer =
      (options.checkpointEveryMs ?? 0) > 0
        ? () =>
            new ThreadClient(script, { ...options, role: 'checkpointer' } satisfies WriterOptions, {
              name: 'SqliteEventStore: its checkpointer thread',
              onMessage: (reply: FromWriter) => {
                if (reply.type === 'settings') this.checkpointer!.settle(reply.id, connectionOf(reply));
              },
            })
        : null;
  }

  /** Sends a batch to the thread; resolves with its appends' outcomes once its transaction is answered. */
  commit(items: BatchItem[]): Promise<BatchReply> {
    return this.thread.request<BatchReply>(
      (id) =>
        ({
          type: 'batch',
          id,
          // Only what the commit needs crosses (the queue's items also hold the caller's callbacks and objects).
          items: items.map(({ stream, expected, events, dataKeys }) =>
            dataKeys ? { stream, expected, events, dataKeys: dataKeys.map(asText) } : { stream, expected, events },
          ),
        }) satisfies ToWriter,
      items,
    );
  }

  /** The write connection's pragmas, as the thread's SQLite reports them. */
  settings(): Promise<ConnectionSettings> {
    return this.thread.request<ConnectionSettings>((id) => ({ type: 'settings', id }) satisfies ToWriter, null);
  }

  /** The checkpointer's connection's pragmas (null: no checkpointer; checkpoints run in commits). */
  checkpointerSettings(): Promise<ConnectionSettings | null> {
    if (this.startCheckpointer) this.checkpointer ??= this.startCheckpointer();
    return (
      this.checkpointer?.request<ConnectionSettings>((id) => ({ type: 'settings', id }) satisfies ToWriter, undefined) ??
      Promise.resolve(null)
    );
  }

  /** Closes the write connection and ends the thread (call when no batch is in flight), and the checkpointer's. */
  async close(): Promise<void> {
    await Promise.all([
      this.thread.close({ type: 'close' } satisfies ToWriter),
      this.checkpointer?.close({ type: 'close' } satisfies ToWriter),
    ]);
  }

  /** Ends the thread at once, whatever it is doing (for tests of a thread that dies), and the checkpointer's. */
  terminate(): Promise<number> {
    // Resolves with the writer's end, as before: its waiting appends are rejected in that same turn.
    void this.checkpointer?.terminate();
    return this.thread.terminate();
  }

  private answer(reply: FromWriter): void {
    if (reply.type === 'settings') {
      this.thread.settle(reply.id, connectionOf(reply));
      return;
    }
    const ids = reply.type === 'committed' ? reply.batches.map((b) => b.id) : reply.ids;
    let appends = 0;
    let eventCount = 0;
    for (const id of ids) {
      const items = this.thread.kept(id) ?? [];
      appends += items.length;
      for (const item of items) eventCount += item.events.length;
    }
    this.events.onTransaction({ appends, events: eventCount, ms: reply.ms, committed: reply.type === 'committed' });
    if (this.startCheckpointer && reply.type === 'committed') this.checkpointer ??= this.startCheckpointer();
    if (reply.type === 'committed') {
      for (const { id, outcomes } of reply.batches)
        this.thread.settle(id, { committed: true, recordedAt: reply.recordedAt, outcomes } satisfies BatchReply);
    } else {
      for (const id of reply.ids) this.thread.settle(id, { committed: false, error: reply.error } satisfies BatchReply);
    }
  }
}

/** A settings answer without its envelope. */
function connectionOf(reply: Extract<FromWriter, { type: 'settings' }>): ConnectionSettings {
  const { type: _type, id: _id, ...settings } = reply;
  return settings;
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
