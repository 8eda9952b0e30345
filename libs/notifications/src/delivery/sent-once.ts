import type { Job } from 'bullmq';
import type { DeliveryLogger } from './worker-logging';

/**
 * What a delivery job records on itself (its BullMQ progress, kept in the job's hash in Redis) the
 * moment a channel has accepted the message: the SMTP server said 250, Notify or the webhook 2xx.
 */
export interface SentMark {
  sentAt: string;
}

export const sentMarkOf = (job: Pick<Job, 'progress'>): SentMark | null => {
  const p = job.progress as unknown;
  return typeof p === 'object' && p !== null && typeof (p as SentMark).sentAt === 'string' ? (p as SentMark) : null;
};

/**
 * Runs `send` unless this job already recorded a send, then records one (ADR 0019). A job runs again
 * when its worker died or lost its lock before completing it (stalled), or when completing it failed
 * (Redis away): without the mark each of those re-sends a message the recipient already has. The
 * mark is one Redis write right after the channel's answer, where completing the job takes the
 * lock check and the move to completed, so a repeat needs a crash between the channel's answer
 * and that write. It cannot be closed: no channel here takes an idempotency key, so the message
 * keeps its delivery id (the email's Message-ID) and a repeat can be recognised.
 *
 * Returns what `send` returned, or undefined when the job had already sent (logged as a warning).
 */
export async function sendOnce<R>(
  job: Job,
  send: () => Promise<R>,
  options: { label: string; describe: string; logger?: DeliveryLogger; now?: () => Date },
): Promise<R | undefined> {
  const mark = sentMarkOf(job);
  if (mark) {
    options.logger?.warn?.(
      `[${options.label}] ${options.describe} was sent at ${mark.sentAt} by an earlier run of the job; not sent again`,
    );
    return undefined;
  }
  const result = await send();
  try {
    await job.updateProgress({ sentAt: (options.now?.() ?? new Date()).toISOString() } satisfies SentMark);
  } catch (error) {
    // The message is out: failing the job now would send it again on the retry. Completing it
    // may still succeed; if Redis is away it fails too and the job runs again (at least once).
    options.logger?.warn?.(`[${options.label}] ${options.describe} sent, but its mark was not recorded: ${String(error)}`);
  }
  return result;
}
