import { performance } from 'node:perf_hooks';

export interface TakeTurnsOptions {
  /** Hand the event loop over at least every this many steps. Default 256. */
  every?: number;
  /** ...or once a slice has run this long, whichever comes first. Default 10 ms. */
  maxMs?: number;
}

/**
 * For long loops over events on an app's one thread (an as-of replay, a reconcile pass): reading
 * the SQLite store resolves in microtasks only, so without this a pass over the whole log would
 * hold the event loop until it ends and /health, HTTP requests and timers would wait behind it.
 * Call `turn()` once per step; when the slice is used up it returns a promise that resolves on
 * setImmediate, after the I/O and timers that queued meanwhile. Otherwise it returns undefined,
 * so the common step costs no promise.
 */
export class TakeTurns {
  private steps = 0;
  private sliceStart = performance.now();
  private readonly every: number;
  private readonly maxMs: number;
  /** Times the loop was handed over so far. */
  turns = 0;

  constructor(options: TakeTurnsOptions = {}) {
    this.every = Math.max(1, options.every ?? 256);
    this.maxMs = options.maxMs ?? 10;
  }

  turn(): Promise<void> | undefined {
    if (++this.steps < this.every && performance.now() - this.sliceStart < this.maxMs) return undefined;
    this.steps = 0;
    this.turns += 1;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.sliceStart = performance.now();
        resolve();
      }),
    );
  }
}
