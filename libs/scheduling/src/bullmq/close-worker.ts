import type { Worker } from 'bullmq';

/** How long a close waits for a worker's connections to finish starting: Redis answers in milliseconds when it is up. */
export const WORKER_READY_WITHIN_MS = 2_000;

/**
 * Closes a BullMQ worker once its connections have finished starting, waiting at most `readyWithinMs`.
 *
 * Why: a Worker opens its blocking connection when it is made. Closed while that connection still
 * starts, BullMQ (5.x) disconnects it; the start then fails with "Connection is closed" and BullMQ
 * emits it on an emitter whose listeners the close already removed: an unhandled rejection, which
 * stops a Node process (taskforcesh/bullmq#3546). A worker stopped soon after it was made (a
 * SIGTERM at boot, a test) hits it. The wait is bounded so that a shutdown while Redis is
 * unreachable still ends; then the connection never got as far as the failing step.
 */
export async function closeWorker(worker: Pick<Worker, 'waitUntilReady' | 'close'>, readyWithinMs = WORKER_READY_WITHIN_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, readyWithinMs);
  });
  // A failed start is the close's business, not ours: it is reported on the worker's 'error'.
  await Promise.race([worker.waitUntilReady().catch(() => undefined), bound]);
  clearTimeout(timer);
  await worker.close();
}
