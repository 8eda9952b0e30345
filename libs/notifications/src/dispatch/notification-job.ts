import type { JobsOptions } from 'bullmq';
import type { ChannelName, DeliveryTarget } from '../channels';
import type { AlertSummary } from '../templates';

export const NOTIFICATIONS_QUEUE = 'notifications';

/** One delivery of one alert through one channel to one recipient (or audience). */
export interface NotificationJobData {
  alert: AlertSummary;
  channel: ChannelName;
  target: DeliveryTarget;
}

export interface DeliveryRetryOptions {
  /** Tries in all (default 5). */
  attempts?: number;
  /** First retry after this; doubling each time (default 30 s: 30 s, 1 min, 2 min, 4 min). */
  backoffMs?: number;
  /** How long delivered jobs (and so their ids, which dedupe redeliveries) are kept (default 7 days). */
  keepCompletedSeconds?: number;
}

/**
 * Deterministic: the same event, channel and recipient give the same id, so a redelivered event
 * (a restart from an older checkpoint) adds nothing BullMQ already holds. BullMQ refuses ':' in
 * custom ids, hence '|'.
 */
export function deliveryJobId(eventId: string, channel: ChannelName, target: DeliveryTarget): string {
  const who = target.recipient ? `user-${target.recipient.userId}` : `role-${target.role}-${target.teamId ?? 'service'}`;
  return [eventId, channel, who].join('|').replace(/:/g, '-');
}

export function deliveryJobOptions(jobId: string, retry: DeliveryRetryOptions = {}): JobsOptions {
  return {
    jobId,
    attempts: retry.attempts ?? 5,
    backoff: { type: 'exponential', delay: retry.backoffMs ?? 30_000 },
    removeOnComplete: { age: retry.keepCompletedSeconds ?? 7 * 24 * 3600 },
    // Failed deliveries stay, with their attempts and reasons, for people to see (bull-board, /metrics).
    removeOnFail: false,
  };
}
