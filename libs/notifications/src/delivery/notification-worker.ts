import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { closeWorker } from '@send/scheduling';
import { outgoingAlert, PermanentDeliveryError, type ChannelName, type NotificationChannel } from '../channels';
import { NOTIFICATIONS_QUEUE, type NotificationJobData } from '../dispatch';
import { sendOnce } from './sent-once';
import { logDeliveryFailures, type DeliveryLogger } from './worker-logging';

export interface NotificationWorkerOptions {
  connection: Redis | ConnectionOptions;
  /** BullMQ key prefix (default 'bull'). */
  prefix?: string;
  channels: ReadonlyArray<NotificationChannel>;
  /** Makes links absolute. */
  publicBaseUrl?: string;
  concurrency?: number;
  /** A delivery of a worker that died is run again by another after about this (BullMQ lockDuration and stalledInterval; default 30 s). */
  jobLockMs?: number;
  logger?: DeliveryLogger;
  /** Told of each job whose message is out (sent now, or by an earlier run): PendingDeliveries.forget. */
  onSent?: (jobId: string | undefined) => void;
}

export interface DeliveryResult {
  channel: ChannelName;
  deliveryId: string;
}

/**
 * Delivers notification jobs through the channel each names. A channel that throws is retried by
 * BullMQ (attempts, exponential backoff); a PermanentDeliveryError, or a channel that is no longer
 * configured, fails the job at once. Failed jobs stay in the queue's failed set with their reason.
 * A job that runs again after its message went out (a worker killed before completing it) does not
 * send it again (sendOnce).
 */
export class NotificationWorker {
  readonly worker: Worker<NotificationJobData, DeliveryResult>;
  private readonly channels: Map<ChannelName, NotificationChannel>;

  constructor(private readonly options: NotificationWorkerOptions) {
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
    this.worker = new Worker<NotificationJobData, DeliveryResult>(NOTIFICATIONS_QUEUE, (job) => this.process(job), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 5,
      ...(options.jobLockMs === undefined ? {} : { lockDuration: options.jobLockMs, stalledInterval: options.jobLockMs }),
      autorun: false,
    });
    logDeliveryFailures(this.worker, 'notifications', (job) => `delivery ${job.id} via ${job.data.channel}`, options.logger);
  }

  /** Starts taking jobs (in the background). */
  start(): void {
    if (!this.worker.isRunning())
      void this.worker.run().catch((error) => this.options.logger?.error('[notifications] worker stopped', error));
  }

  /** Waits for deliveries in flight, then stops. */
  async stop(): Promise<void> {
    await closeWorker(this.worker);
  }

  /** A job: delivered unless an earlier run of it already was (sendOnce, ADR 0019). */
  async process(job: Job<NotificationJobData>): Promise<DeliveryResult> {
    const describe = `delivery ${job.id} via ${job.data.channel}`;
    const result = await sendOnce(job, () => this.deliver(job), { label: 'notifications', describe, logger: this.options.logger });
    this.options.onSent?.(job.id);
    return result ?? { channel: job.data.channel, deliveryId: job.id ?? `${job.data.alert.alertId}|${job.data.channel}` };
  }

  async deliver(job: Job<NotificationJobData>): Promise<DeliveryResult> {
    const { alert, channel: name, target } = job.data;
    const channel = this.channels.get(name);
    if (!channel) throw new UnrecoverableError(`channel ${name} is not configured in this worker`);
    const deliveryId = job.id ?? `${alert.alertId}|${name}`;
    try {
      await channel.send(outgoingAlert(deliveryId, alert, { baseUrl: this.options.publicBaseUrl }), target);
    } catch (error) {
      if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
      throw error;
    }
    return { channel: name, deliveryId };
  }
}
