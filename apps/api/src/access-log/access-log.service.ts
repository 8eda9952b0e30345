import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { Page, PageRequest } from '@send/read-models';
import { AppMetrics, Clock } from '@send/platform';
import { isStaff, type AuthUser } from '../auth/roles';
import {
  ACCESS_LOG_STORE,
  type AccessLogEntry,
  type AccessLogFilter,
  type AccessLogStore,
  type PackedRead,
  type ReadContext,
  type ReadItem,
  packRead,
  unpackRead,
} from './access-log.port';

/** Reads wait this long to be written together: a busy minute's reads cost a handful of commits. */
export const FLUSH_EVERY_MS = 5;
/** After a failed write, the batch is tried again this much later. */
export const RETRY_AFTER_MS = 1_000;
/**
 * The counts below are of items read (a queue page of 100 rows is 100), as the metrics count them.
 * Reads kept while the store refuses them; beyond this the oldest are dropped (and counted lost).
 */
export const MAX_PENDING = 50_000;
/**
 * While the store takes every batch but more than this many reads wait (the reads come faster than
 * it commits them), a read's answer waits until they are written down to below this: the log slows
 * the reads it records rather than drop them. Well below MAX_PENDING, so a store that keeps taking batches never drops one.
 */
export const HIGH_WATER = 20_000;
/** At most this many reads in one write (one transaction, one message to the writer thread), unless one read alone shows more. */
export const MAX_BATCH = 5_000;

/**
 * The access log (shared DESIGN.md, "Personal data"): every staff read of a request, timeline or
 * case, with who, when and why-context. Recording never fails the read it records: entries are
 * buffered and written in batches every few milliseconds (and on shutdown); a failed write is
 * retried, counted in /metrics and logged. A read waits only when reads come faster than a working
 * store commits them (HIGH_WATER): then its answer waits for the log to catch up, so no read goes
 * unrecorded for want of speed. Families' reads of their own requests are not staff access and are
 * not recorded, nor are the system's.
 */
@Injectable()
export class AccessLog implements OnApplicationShutdown {
  private readonly logger = new Logger('AccessLog');
  /** Packed as they are recorded (PackedRead says why). */
  private pending: PackedRead[] = [];
  /** Items in `pending`. */
  private pendingCount = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The write in flight: true once stored, false when the store refused it. */
  private writing: Promise<boolean> | null = null;
  private droppedUnreported = 0;
  /** Reads in the batch being written. */
  private writingCount = 0;
  /** The last write failed: the store refuses, and reads no longer wait for it (they are kept up to MAX_PENDING). */
  private refusing = false;
  private closed = false;
  /** Reads waiting for the log to come down below HIGH_WATER. */
  private waiting: Array<() => void> = [];
  private readonly written: Counter;
  private readonly failures: Counter;
  private readonly lost: Counter;

  constructor(
    @Inject(ACCESS_LOG_STORE) private readonly store: AccessLogStore,
    private readonly clock: Clock,
    metrics: AppMetrics,
  ) {
    const registers = [metrics.registry];
    this.written = new Counter({ name: 'send_access_log_entries_total', help: 'Staff reads written to the access log', registers });
    this.failures = new Counter({
      name: 'send_access_log_write_failures_total',
      help: 'Access log batches the store refused (kept and tried again)',
      registers,
    });
    this.lost = new Counter({
      name: 'send_access_log_lost_entries_total',
      help: 'Staff reads never written: dropped while the store kept refusing, or still unwritten at shutdown',
      registers,
    });
    const pending = () => this.unwritten();
    new Gauge({
      name: 'send_access_log_pending',
      help: 'Staff reads waiting to be written to the access log',
      registers,
      collect() {
        this.set(pending());
      },
    });
  }

  /**
   * Records that `user` read `items` (nothing for a family, school or the system). Returns at once,
   * unless more than HIGH_WATER reads wait while the store keeps taking them: then it returns a
   * promise the caller awaits before answering, settled once the log has caught up (or the store
   * refuses, or the log closes). It never rejects.
   * The data protection officer reads case content only in a subject access export: those reads are recorded too.
   */
  recordReads(user: AuthUser, items: readonly ReadItem[], how: ReadContext): Promise<void> | undefined {
    const recorded = isStaff(user) || (user.role === 'dpo' && how.context === 'export');
    if (!recorded || items.length === 0) return undefined;
    this.pending.push(packRead({ at: this.clock.now(), userId: user.id, role: user.role, context: how.context, via: how.via, items }));
    this.pendingCount += items.length;
    if (this.pendingCount > MAX_PENDING) this.drop(this.pendingCount - MAX_PENDING);
    this.schedule(FLUSH_EVERY_MS);
    if (this.unwritten() < HIGH_WATER || this.refusing || this.closed) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The log, newest first; reads recorded before the call are in it. */
  async query(filter: AccessLogFilter, page: PageRequest): Promise<Page<AccessLogEntry>> {
    await this.flush();
    return this.store.query(filter, page);
  }

  /** Writes what is waiting, in batches of at most MAX_BATCH, one at a time in the order recorded; stops at a refused one. */
  async flush(): Promise<void> {
    for (;;) {
      while (this.writing) await this.writing;
      if (this.pending.length === 0) return;
      const { reads, count } = this.takeBatch();
      const writing = (this.writing = this.write(reads, count).finally(() => (this.writing = null)));
      if (!(await writing)) return; // kept, and tried again RETRY_AFTER_MS later
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Writes what is waiting, then closes the store. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closed = true;
    await this.flush();
    this.release(); // a read still waiting (the last write was refused) waits no more
    // The last write failed: nothing will try again.
    if (this.pendingCount > 0) this.drop(this.pendingCount);
    this.reportDropped();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.store.close();
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    // A waiting flush never keeps the process alive: shutdown flushes what is left.
    this.timer.unref();
  }

  /** The oldest reads waiting, up to MAX_BATCH items (at least one read), taken from `pending`. */
  private takeBatch(): { reads: PackedRead[]; count: number } {
    let reads = 0;
    let count = 0;
    while (reads < this.pending.length && (reads === 0 || count + this.pending[reads].count <= MAX_BATCH))
      count += this.pending[reads++].count;
    this.pendingCount -= count;
    return { reads: this.pending.splice(0, reads), count };
  }

  /** True once the batch is stored; false when the store refused it (kept, tried again later). */
  private async write(batch: PackedRead[], count: number): Promise<boolean> {
    this.reportDropped();
    this.writingCount = count;
    try {
      await this.store.append(batch);
      this.writingCount = 0;
      this.written.inc(count);
      this.refusing = false;
      if (this.unwritten() < HIGH_WATER) this.release();
      return true;
    } catch (error) {
      this.writingCount = 0;
      this.failures.inc();
      this.logger.error(`Could not write ${count} access log entries; trying again: ${(error as Error).message}`);
      this.pending = [...batch, ...this.pending];
      this.pendingCount += count;
      if (this.pendingCount > MAX_PENDING) this.drop(this.pendingCount - MAX_PENDING);
      // A refusing store may refuse for long (a full disk): reads go on, kept up to MAX_PENDING.
      this.refusing = true;
      this.release();
      this.schedule(RETRY_AFTER_MS);
      return false;
    }
  }

  /** Reads recorded and not yet written: those waiting, and those of the batch being written. */
  private unwritten(): number {
    return this.pendingCount + this.writingCount;
  }

  /** Lets every read waiting for the log go on. */
  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Drops the oldest `count` waiting items; said once per write attempt (reportDropped), not once per read. */
  private drop(count: number): void {
    let left = count;
    while (left > 0) {
      const oldest = this.pending[0];
      if (oldest.count > left) {
        // Rare (the store has refused for long): unpacked to drop part of one read.
        const read = unpackRead(oldest);
        this.pending[0] = packRead({ ...read, items: read.items.slice(left) });
        break;
      }
      this.pending.shift();
      left -= oldest.count;
    }
    this.pendingCount -= count;
    this.lost.inc(count);
    this.droppedUnreported += count;
  }

  private reportDropped(): void {
    if (this.droppedUnreported === 0) return;
    this.logger.error(`Dropped ${this.droppedUnreported} access log entries that could not be written`);
    this.droppedUnreported = 0;
  }
}

/** The log's item for a request read as `what`: from its view (or queue row), with the case and team shown to the reader. */
export const requestRead = (what: 'request' | 'timeline', r: { id: string; caseRef: string | null; teamId: string | null }): ReadItem => ({
  what,
  id: r.id,
  caseRef: r.caseRef,
  teamId: r.teamId,
});

/** The context a page's read has when its caller names none: the pages call the query handlers without one. */
export const PAGE_DIRECT: ReadContext = { context: 'direct', via: 'page' };

/** A request list read: `search` when filtered (by case or status), else `list`. */
export const listContext = (filter: { status?: string; caseRef?: string }, via: ReadContext['via']): ReadContext => ({
  context: filter.caseRef || filter.status ? 'search' : 'list',
  via,
});
