import { writeSync } from 'node:fs';

/**
 * Test seams for the fault runner (test/proofs/faults.ts), off unless FAULT_PAUSE_AT names a point.
 * A process started with FAULT_PAUSE_AT=<point> arms on SIGUSR2; the next time it reaches that point
 * it prints `FAULT_PAUSED <point>` and stops there (once), so the runner can SIGKILL it at exactly
 * that moment. Points: after-append (api: stored, not yet answered), mid-append (SQLite: rows
 * inserted, transaction not committed), projection-batch (worker: batch built, MULTI not sent),
 * timer-job (worker: a timer's command decided, and stored if it yielded events; its BullMQ job not completed).
 */
export type FaultPoint = 'after-append' | 'mid-append' | 'projection-batch' | 'timer-job';

const point = process.env.FAULT_PAUSE_AT || null;
let armed = false;
if (point) process.on('SIGUSR2', () => (armed = true));

function reached(at: FaultPoint): boolean {
  if (!armed || at !== point) return false;
  armed = false;
  writeSync(2, `FAULT_PAUSED ${at}\n`);
  return true;
}

/** Awaited at an async point: never resolves once the seam fires (the rest of the process runs on). */
export function faultSeam(at: FaultPoint): Promise<void> | undefined {
  return point && reached(at) ? new Promise<void>(() => undefined) : undefined;
}

/** At a synchronous point (inside a SQLite transaction): blocks the whole process once it fires. */
export function faultSeamSync(at: FaultPoint): void {
  if (point && reached(at)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
