import { initialState, nextTimers, type State } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { consoleLogger, type SchedulingLogger } from './logger';
import { readToHead, type ReadToHeadOptions } from './read-to-head';
import { foldRequest, REQUEST_STREAM_PREFIX } from './request-state';
import type { EnsureOutcome, TimerQueue } from './timer-queue';

export interface TimerReconcilerOptions {
  store: EventStore;
  timers: TimerQueue;
  clock: () => Date;
  logger?: SchedulingLogger;
  /** How the read of the whole store decides it has caught up (see readToHead). */
  readToHead?: Omit<ReadToHeadOptions, 'filter'>;
}

export interface ReconcileReport {
  requests: number;
  timers: number;
  added: number;
  retried: number;
  ms: number;
}

/**
 * Recreates timers Redis lost (a restart without persistence, an obliterated queue, a job that
 * failed for good). The event store is the truth: it folds every contact-request stream from the
 * start into its state and ensures the timers `nextTimers` wants. Jobs that exist are untouched.
 */
export class TimerReconciler {
  private running: Promise<ReconcileReport> | null = null;
  private readonly logger: SchedulingLogger;

  constructor(private readonly options: TimerReconcilerOptions) {
    this.logger = options.logger ?? consoleLogger;
  }

  /** One pass. Concurrent calls share the pass in flight. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<ReconcileReport> {
    const started = Date.now();
    const states = new Map<string, State>();
    await readToHead(
      this.options.store,
      (event) => states.set(event.streamId, foldRequest([event], states.get(event.streamId) ?? initialState)),
      { ...this.options.readToHead, filter: { streamPrefixes: [REQUEST_STREAM_PREFIX] } },
    );
    const now = this.options.clock();
    const counts: Record<EnsureOutcome, number> = { added: 0, exists: 0, retried: 0 };
    let timers = 0;
    for (const state of states.values()) {
      for (const timer of nextTimers(state)) {
        counts[await this.options.timers.ensure(timer, now)] += 1;
        timers += 1;
      }
    }
    const report = { requests: states.size, timers, added: counts.added, retried: counts.retried, ms: Date.now() - started };
    if (report.added + report.retried > 0) {
      this.logger.warn?.(
        `[timers] reconcile recreated ${report.added} and retried ${report.retried} of ${timers} timers over ${states.size} requests`,
      );
    } else {
      this.logger.log?.(`[timers] reconcile: ${timers} timers over ${states.size} requests all present (${report.ms} ms)`);
    }
    return report;
  }
}
