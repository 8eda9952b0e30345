import { constants as perfConstants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

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
 * live reaches `maxFreeFraction` of it (and at least `minFreeBytes`), ask V8 to compact the next
 * full collection wholly, and stop asking after it. At most one such collection each
 * `minIntervalMs`, so a heap that compaction cannot shrink never pays it every time.
 */
export interface OldSpaceCompactionOptions {
  /** Free share of the old space (held less live, just after a full collection) that triggers a compaction. */
  maxFreeFraction: number;
  /** ...and the least free memory worth a compaction. */
  minFreeBytes: number;
  /** The least time between two compacting collections. */
  minIntervalMs: number;
}

export const OLD_SPACE_COMPACTION_DEFAULTS: OldSpaceCompactionOptions = {
  maxFreeFraction: 0.15,
  minFreeBytes: 8 * 2 ** 20,
  minIntervalMs: 120_000,
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

/** The decision, apart from V8: fed each full collection's end, sets the flag through `setFlags`. */
export class OldSpaceCompaction {
  private armedAt: number | null = null;
  private lastArmedAt = -Infinity;
  /** Full collections asked to compact wholly so far. */
  compactions = 0;

  constructor(
    private readonly options: OldSpaceCompactionOptions,
    private readonly setFlags: (flags: string) => void,
    private readonly oldSpace: () => OldSpaceReading,
    private readonly now: () => number,
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
    const { size, used } = this.oldSpace();
    const free = size - used;
    if (free < this.options.minFreeBytes || free < size * this.options.maxFreeFraction) return;
    const now = this.now();
    if (now - this.lastArmedAt < this.options.minIntervalMs) return;
    this.setFlags(COMPACT_FLAG);
    this.armedAt = now;
    this.lastArmedAt = now;
  }
}

let started: OldSpaceCompaction | null = null;

/** Watches this process's full collections (once per process, whatever calls it). */
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
  );
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (isMajorGc(e)) compaction.afterFullCollection(e.startTime);
    }
  });
  // Kept for the process's life, as the GC observers in metrics.ts.
  observer.observe({ entryTypes: ['gc'] });
  started = compaction;
  return compaction;
}
