import { UnrecoverableError, type Job, type Worker } from 'bullmq';

export interface DeliveryLogger {
  error(message: string, error?: unknown): void;
  warn?(message: string): void;
}

/**
 * Logs a delivery worker's failures the one way both delivery queues (alerts, families) want: a
 * warning while BullMQ will retry, an error when it gives up (attempts spent, or unrecoverable).
 * `label` prefixes every line; `describe` names the job without any personal data.
 */
export function logDeliveryFailures<T, R>(
  worker: Worker<T, R>,
  label: string,
  describe: (job: Job<T, R>) => string,
  logger: DeliveryLogger | undefined,
): void {
  worker.on('failed', (job, error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    const message = `[${label}] ${describe(job)} failed (attempt ${job.attemptsMade}${final ? ', giving up' : ', will retry'}): ${error.message}`;
    if (final) logger?.error(message);
    else logger?.warn?.(message);
  });
  // The reason in the line itself: loggers that take the error as a context (Nest's) drop it.
  worker.on('error', (error) => logger?.error(`[${label}] worker error: ${error.message}`, error));
}
