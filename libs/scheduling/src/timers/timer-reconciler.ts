import { nextTimers, type Timer } from '@send/domain';
import { readAllToHead, TakeTurns, type EventStore } from '@send/event-store';
import { consoleLogger, type SchedulingLogger } from './logger';
import { foldStored, REQUEST_STREAM_PREFIX } from '@send/domain';
import { ENSURE_CHUNK, type EnsureOutcome, type TimerQueue } from './timer-queue';

export interface TimerReconcilerOptions {
  store: EventStore;
  timers: TimerQueue;
  clock: () => Date;
  logger?: SchedulingLogger;
  /** Timers ensured together (default ENSURE_CHUNK). */
  chunk?: number;
}

export interface ReconcileReport {
  /** Requests in the store (ContactRequestSubmitted events seen). */
  requests: number;
  /** Those open at the head of the pass: the ones read and folded (a resolved request wants no timers). */
  open: number;
  timers: number;
  added: number;
  retried: number;
  ms: number;
}

/** Lifecycle events that decide whether a request is open (no other event resolves or reopens one). */
const OPENS = new Set(['ContactRequestSubmitted', 'RequestReopened']);
const RESOLVES = 'RequestResolved';

/**
 * Recreates timers Redis lost (a restart without persistence, an obliterated queue, a job that
 * failed for good). The event store is the truth: it ensures the timers `nextTimers` wants for every
 * contact request's current state. Jobs that exist are untouched.
 *
 * Memory stays small however many requests the store holds: the pass over $all keeps only the ids
 * of the requests open at its end (a resolved request wants no timers, and only RequestReopened
 * opens it again); then it reads and folds those requests' streams a chunk at a time, as the
 * process manager does, and ensures each chunk's timers together.
 */
export class TimerReconciler {
  private running: Promise<ReconcileReport> | null = null;
  private readonly logger: SchedulingLogger;
  private readonly chunk: number;

  constructor(private readonly options: TimerReconcilerOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.chunk = options.chunk ?? ENSURE_CHUNK;
  }

  /** One pass. Concurrent calls share the pass in flight. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Stream ids of the requests open at the head, and how many requests were submitted. */
  async openRequests(): Promise<{ open: Set<string>; submitted: number }> {
    const open = new Set<string>();
    let submitted = 0;
    await readAllToHead(
      this.options.store,
      (event) => {
        if (event.type === 'ContactRequestSubmitted') submitted += 1;
        if (OPENS.has(event.type)) open.add(event.streamId);
        else if (event.type === RESOLVES) open.delete(event.streamId);
      },
      { streamPrefixes: [REQUEST_STREAM_PREFIX] },
    );
    return { open, submitted };
  }

  private async pass(): Promise<ReconcileReport> {
    const started = Date.now();
    const { open, submitted } = await this.openRequests();
    const counts: Record<EnsureOutcome, number> = { added: 0, exists: 0, retried: 0 };
    let timers = 0;
    let batch: Timer[] = [];
    const flush = async () => {
      for (const outcome of await this.options.timers.ensureMany(batch, this.options.clock())) counts[outcome] += 1;
      timers += batch.length;
      batch = [];
    };
    const turns = new TakeTurns();
    for (const streamId of open) {
      // Read now, not during the pass: the stream's latest state (it may have moved on since).
      batch.push(...nextTimers(foldStored(await this.options.store.read(streamId))));
      if (batch.length >= this.chunk) await flush();
      await turns.turn();
    }
    if (batch.length > 0) await flush();
    const report = { requests: submitted, open: open.size, timers, added: counts.added, retried: counts.retried, ms: Date.now() - started };
    if (report.added + report.retried > 0) {
      this.logger.warn?.(
        `[timers] reconcile recreated ${report.added} and retried ${report.retried} of ${timers} timers over ${open.size} open requests`,
      );
    } else {
      this.logger.log?.(`[timers] reconcile: ${timers} timers over ${open.size} open requests all present (${report.ms} ms)`);
    }
    return report;
  }
}
