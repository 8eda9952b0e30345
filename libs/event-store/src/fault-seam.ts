import { existsSync, rmSync, writeSync } from 'node:fs';

/**
 * Test seams for the fault runner (test/proofs/faults.ts), off unless FAULT_PAUSE_AT names a point.
 * A process started with FAULT_PAUSE_AT=<point> and FAULT_ARM_FILE=<path> is armed once that file
 * exists (the runner creates it; a signal would not do: Nest's shutdown hooks take SIGUSR2). The
 * next time it then reaches the point it removes the file, prints `FAULT_PAUSED <point>` and stops
 * there, so the runner can SIGKILL it at exactly that moment. Points: after-append (api: stored, not
 * yet answered), mid-append (SQLite: rows inserted, transaction not committed; on the writer thread), projection-batch
 * (worker: batch built, MULTI not sent), timer-job (worker: a timer's command decided, and stored if
 * it yielded events; its BullMQ job not completed).
 */
export type FaultPoint = 'after-append' | 'mid-append' | 'projection-batch' | 'timer-job';

const point = process.env.FAULT_PAUSE_AT || null;
const armFile = process.env.FAULT_ARM_FILE || null;

function reached(at: FaultPoint): boolean {
  if (at !== point || !armFile || !existsSync(armFile)) return false;
  rmSync(armFile, { force: true });
  writeSync(2, `FAULT_PAUSED ${at}\n`);
  return true;
}

/** Awaited at an async point: never resolves once the seam fires (the rest of the process runs on). */
export function faultSeam(at: FaultPoint): Promise<void> | undefined {
  return point && reached(at) ? new Promise<void>(() => undefined) : undefined;
}

/**
 * At a synchronous point (inside a SQLite transaction): blocks the thread it runs on once it fires:
 * the store's writer thread (ADR 0018), or the whole process with SQLITE_WRITER=inline. Either way
 * the transaction stays uncommitted until the runner SIGKILLs the process.
 */
export function faultSeamSync(at: FaultPoint): void {
  if (point && reached(at)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
