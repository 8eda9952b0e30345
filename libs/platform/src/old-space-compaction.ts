import {
  constants as perfConstants,
  performance,
  PerformanceObserver,
  type EventLoopUtilization,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps V8's old space from holding ever more free memory under steady load (ADR 0022).
 *
 * V8 compacts a page of its old space in a full collection only when the page is mostly free
 * (some 60-70% here), at most a few MB a collection, and its memory reducer (which compacts
 * harder) runs only when the process goes quiet. Under the soak's steady load the api's full
 * collections picked no page at all 29 times in 30 (`--trace-fragmentation`: pages=0) while each
 * added a page or so of promoted objects: the old space it holds grew ~1.5 MB a collection
 * (80 -> 97 MB in 7 minutes) with what was live after each flat at 68-69 MB, free memory within
 * kept pages and never given back. Compacting every full collection
 * (`--compact-on-every-full-gc`) keeps it flat but made each full collection's pause ~10 times longer.
 *
 * So: after each full collection, look at the old space; when the memory it holds beyond what is
 * live reaches `maxFreeFraction` of it (and at least `minFreeBytes`), a compaction is due. At most
 * one each `minIntervalMs`, so a heap that compaction cannot shrink never pays it every time.
 *
 * A due compaction waits for a quiet moment (ADR 0022, 2026-12-04): its pause (70-190 ms) is many
 * times an ordinary full collection's, and paid under load it holds up every request in flight.
 * Each `idleCheckMs` the event loop's utilization over that span is read; after `quietChecks` of
 * them in a row at or below `idleUtilization` the process compacts at once (the flag set, a full
 * collection asked for, the flag cleared). A lull, not a gap: one quiet second between two busy
 * stretches is where the next one starts in the middle of the pause (ADR 0022, 2026-12-05). Under
 * load that never lets up so long for `maxDeferMs`, or where no collection can be asked for, it asks
 * V8 to compact the next full collection wholly, as it always did, and stops asking after it.
 */
export interface OldSpaceCompactionOptions {
  /** Free share of the old space (held less live, just after a full collection) that triggers a compaction. */
  maxFreeFraction: number;
  /** ...and the least free memory worth a compaction. */
  minFreeBytes: number;
  /** The least time between two compacting collections. */
  minIntervalMs: number;
  /** A due compaction runs once the event loop was busy at most this share of each check's span... */
  idleUtilization: number;
  /** ...read this often... */
  idleCheckMs: number;
  /** ...this many checks in a row. */
  quietChecks: number;
  /** A compaction due this long with no quiet moment compacts the next full collection, whatever the load. */
  maxDeferMs: number;
}

export const OLD_SPACE_COMPACTION_DEFAULTS: OldSpaceCompactionOptions = {
  maxFreeFraction: 0.15,
  minFreeBytes: 8 * 2 ** 20,
  minIntervalMs: 120_000,
  idleUtilization: 0.2,
  idleCheckMs: 1_000,
  quietChecks: 5,
  maxDeferMs: 300_000,
};

export interface OldSpaceReading {
  /** Bytes V8 holds for the old space (its pages). */
  size: number;
  /** Bytes of objects in it: just after a full collection, what survived it. */
  used: number;
}

/** A `gc` performance entry of a full (mark-compact) collection. */
export const isMajorGc = (entry: PerformanceEntry): boolean =>
  (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR;

export const COMPACT_FLAG = '--compact-on-every-full-gc';
export const NO_COMPACT_FLAG = '--no-compact-on-every-full-gc';

/** The decision, apart from V8: fed each full collection's end and the event loop's load, sets the flag through `setFlags`. */
export class OldSpaceCompaction {
  private armedAt: number | null = null;
  /** When the last compaction was run or asked of the next full collection (minIntervalMs counts from it). */
  private lastCompactionAt = -Infinity;
  /** Since when a compaction waits for a quiet moment (null: none due). */
  private dueSince: number | null = null;
  /** Quiet checks in a row so far while due. */
  private quietFor = 0;
  /** Full collections asked to compact wholly so far. */
  compactions = 0;

  constructor(
    private readonly options: OldSpaceCompactionOptions,
    private readonly setFlags: (flags: string) => void,
    private readonly oldSpace: () => OldSpaceReading,
    private readonly now: () => number,
    /** Runs a full collection now (null: this process cannot ask for one; the next full collection compacts). */
    private readonly collect: (() => void) | null = null,
  ) {}

  /** A full collection that started at `startedAt` (the clock of `now`) has ended. */
  afterFullCollection(startedAt: number): void {
    if (this.armedAt !== null) {
      // One that started before the flag was set did not compact: wait for the next.
      if (startedAt < this.armedAt) return;
      this.setFlags(NO_COMPACT_FLAG);
      this.armedAt = null;
      this.compactions++;
      return;
    }
    if (!this.worthCompacting()) {
      this.dueSince = null; // V8 gave the memory back itself
      return;
    }
    const now = this.now();
    if (now - this.lastCompactionAt < this.options.minIntervalMs) return;
    if (this.dueSince === null) {
      this.dueSince = now;
      this.quietFor = 0;
    }
    if (this.collect === null) this.arm(now);
  }

  /** Whether a compaction waits for a quiet moment (then `tick` wants calling every `idleCheckMs`). */
  get due(): boolean {
    return this.dueSince !== null;
  }

  /** Every `idleCheckMs` while due: the event loop was busy `utilization` (0-1) of the span since the last. */
  tick(utilization: number): void {
    if (this.dueSince === null || this.armedAt !== null) return;
    const now = this.now();
    this.quietFor = utilization <= this.options.idleUtilization ? this.quietFor + 1 : 0;
    if (this.quietFor >= this.options.quietChecks && this.collect !== null) {
      this.dueSince = null;
      // Looked at again: another watcher in this process (tests start several) may have compacted meanwhile.
      if (!this.worthCompacting()) return;
      this.lastCompactionAt = now;
      this.setFlags(COMPACT_FLAG);
      try {
        this.collect();
      } finally {
        this.setFlags(NO_COMPACT_FLAG);
      }
      this.compactions++;
    } else if (now - this.dueSince >= this.options.maxDeferMs) {
      this.arm(now);
    }
  }

  /** The old space holds at least `maxFreeFraction` of itself (and `minFreeBytes`) beyond what is in use. */
  private worthCompacting(): boolean {
    const { size, used } = this.oldSpace();
    const free = size - used;
    return free >= this.options.minFreeBytes && free >= size * this.options.maxFreeFraction;
  }

  /** The next full collection compacts wholly (afterFullCollection clears the flag once it has). */
  private arm(now: number): void {
    this.dueSince = null;
    this.setFlags(COMPACT_FLAG);
    this.armedAt = now;
    this.lastCompactionAt = now;
  }
}

/**
 * A function that runs a full collection now, or null. Node gives one only to code started with
 * --expose-gc; setting that flag later makes `gc` a global of contexts made after it, such as a vm
 * context's, and it collects the process's one heap.
 */
export function fullCollection(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as () => void)() : null;
  } catch {
    return null;
  }
}

let started: OldSpaceCompaction | null = null;

/** Watches this process's full collections and its event loop's load (once per process, whatever calls it). */
export function startOldSpaceCompaction(options: OldSpaceCompactionOptions = OLD_SPACE_COMPACTION_DEFAULTS): OldSpaceCompaction {
  if (started) return started;
  const compaction = new OldSpaceCompaction(
    options,
    setFlagsFromString,
    () => {
      const old = getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
      return { size: old?.space_size ?? 0, used: old?.space_used_size ?? 0 };
    },
    () => performance.now(),
    fullCollection(),
  );
  // The event loop's load is read only while a compaction is due.
  let checks: NodeJS.Timeout | null = null;
  const watchLoad = () => {
    if (checks || !compaction.due) return;
    let last: EventLoopUtilization = performance.eventLoopUtilization();
    checks = setInterval(() => {
      const now = performance.eventLoopUtilization();
      compaction.tick(performance.eventLoopUtilization(now, last).utilization);
      last = now;
      if (!compaction.due) {
        clearInterval(checks!);
        checks = null;
      }
    }, options.idleCheckMs).unref();
  };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (isMajorGc(e)) compaction.afterFullCollection(e.startTime);
    }
    watchLoad();
  });
  // Kept for the process's life, as the GC observers in metrics.ts.
  observer.observe({ entryTypes: ['gc'] });
  started = compaction;
  return compaction;
}
