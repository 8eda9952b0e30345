import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type Redis from 'ioredis';
import {
  REQUEST_STREAM_PREFIX,
  familyChannelOf,
  foldStored,
  foldUserAccount,
  isErased,
  isSubmitted,
  streamIdFor,
  userStreamId,
} from '@send/domain';
import { SubscriptionRunner, type CheckpointStore, type EventStore, type RecordedEvent, type RunnerLogger } from '@send/event-store';
import type { Policy } from '@send/sla';
import { closeWorker } from '@send/scheduling';
import { PermanentDeliveryError, type NotifyChannel, type SmtpEmailChannel } from '../channels';
import type { DeliveryRetryOptions, PendingDeliveries } from '../dispatch';
import { logDeliveryFailures, type DeliveryLogger } from '../delivery/worker-logging';
import { sendOnce } from '../delivery/sent-once';
import { FAMILY_EVENT_TYPES, familyNoticeFor, type FamilyNoticeKind } from './family-notice';
import { familyRoute, type FamilyRoute } from './family-route';
import { firstNameOf, wordFamilyMessage, type OfficerForFamily } from './family-wording';

export const FAMILY_NOTIFICATIONS_QUEUE = 'family-notifications';
export const FAMILY_MAX_AGE_MS = 2 * 24 * 3600 * 1000;

/**
 * One message to one family: already worded (so a retry sends the same words), with the channel.
 * Never the address: jobs are kept in Redis for days (and failed ones until someone clears them),
 * so the worker reads the requester's address from the request's stream when it sends (issue 14:
 * an erased family leaves no copy of their email or phone behind, and is not sent to). Jobs queued
 * before this carry `route.to`, which is used as it is.
 */
export interface FamilyJobData {
  kind: FamilyNoticeKind;
  reference: string;
  /** The request whose requester is told: where the address comes from. */
  requestId?: string;
  route: { channel: FamilyRoute['channel']; to?: string };
  subject: string;
  text: string;
}

/** The requester's address on this channel, as the request's stream reads now; null when there is none (erased, or never given). */
export type FamilyAddressBook = (requestId: string, channel: FamilyRoute['channel']) => Promise<string | null>;

/** The address book over the event store: the request's requester, folded (an erased one has no address). */
export function storeAddressBook(store: EventStore): FamilyAddressBook {
  return async (requestId, channel) => {
    const state = foldStored(await store.read(streamIdFor(requestId)));
    if (!isSubmitted(state)) return null;
    const to = channel === 'sms' ? state.requester.phone : state.requester.email;
    return to && !isErased(to) ? to : null;
  };
}

/** One job per event: the event id alone, so a redelivery, or a preference changed meanwhile, never sends a second message. */
export const familyJobId = (eventId: string): string => `family|${eventId}`.replace(/:/g, '-');

/** How family messages leave: email through Notify when configured, else SMTP; texts through Notify only. */
export interface FamilySenders {
  email?: (message: { deliveryId: string; to: string; subject: string; text: string }) => Promise<void>;
  sms?: (message: { deliveryId: string; to: string; text: string }) => Promise<void>;
}

export function familySendersFrom(channels: { smtp?: SmtpEmailChannel; notify?: NotifyChannel }): FamilySenders {
  const { smtp, notify } = channels;
  return {
    ...(notify ? { email: (m) => notify.sendPlainEmail(m) } : smtp ? { email: (m) => smtp.sendPlain(m) } : {}),
    ...(notify?.sendsSms ? { sms: (m) => notify.sendSms(m) } : {}),
  } satisfies FamilySenders;
}

export interface FamilyDispatcherOptions {
  store: EventStore;
  checkpoints: CheckpointStore;
  queue: Queue<FamilyJobData>;
  /** As NotificationDispatcherOptions.pending. */
  pending?: PendingDeliveries<FamilyJobData>;
  policy: Policy;
  available: { email: boolean; sms: boolean };
  now: () => Date;
  /**
   * Events older than this are not told (default 2 days): a Redis that came back empty loses the
   * checkpoint and the job ids, and must not send every family every message of past years again.
   */
  maxAgeMs?: number;
  retry?: DeliveryRetryOptions;
  logger?: RunnerLogger & { warn?(message: string): void };
  subscriptionRetry?: { initialMs?: number; maxMs?: number };
}

/**
 * The durable subscriber (checkpoint `family-notifications`, after each batch) that turns request
 * events into at most one family message each. Everything a message needs is read from the event
 * store as of the event: the request's stream up to it, the officer's and the family's accounts.
 */
export class FamilyDispatcher {
  private readonly runner: SubscriptionRunner;

  constructor(private readonly options: FamilyDispatcherOptions) {
    this.runner = new SubscriptionRunner({
      store: options.store,
      checkpoints: options.checkpoints,
      name: 'family-notifications',
      filter: { streamPrefixes: [REQUEST_STREAM_PREFIX], eventTypes: [...FAMILY_EVENT_TYPES] },
      checkpointMode: 'after-handle',
      handleBatch: (events) => this.handleBatch(events),
      logger: options.logger,
      retry: options.subscriptionRetry,
    });
  }

  start(): Promise<void> {
    return this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  get checkpoint(): bigint | 'start' {
    return this.runner.checkpoint;
  }

  /** SubscriptionRunner.restoreCheckpoint: true when Redis had lost the checkpoint and it was written again. */
  restoreCheckpoint(): Promise<boolean> {
    return this.runner.restoreCheckpoint();
  }

  async handleBatch(events: RecordedEvent[]): Promise<void> {
    const jobs = [];
    for (const event of events) {
      const job = await this.plan(event);
      if (job) jobs.push(job);
    }
    if (jobs.length > 0) {
      await this.options.queue.addBulk(jobs);
      this.options.pending?.track(jobs);
    }
  }

  /** The job an event calls for, or null. */
  async plan(event: RecordedEvent): Promise<{ name: string; data: FamilyJobData; opts: JobsOptions } | null> {
    if (this.options.now().getTime() - happenedAt(event) > (this.options.maxAgeMs ?? FAMILY_MAX_AGE_MS)) return null;
    const stream = await this.options.store.read(event.streamId);
    const index = stream.findIndex((e) => e.id === event.id);
    const notice = index < 0 ? null : familyNoticeFor(stream, index);
    if (!notice) return null;
    const { userId } = notice.requester;
    // The family's choice as it stood when the news happened (their account's events before it in
    // $all), like the words: a worker that is behind must not apply a later change to earlier news.
    const preference = userId
      ? familyChannelOf((await this.options.store.read(userStreamId(userId))).filter((e) => e.position < event.position))
      : null;
    const route = familyRoute(notice.requester, preference, this.options.available);
    if (!route) {
      if (preference !== 'none')
        this.warn(`no way to tell the family of ${notice.reference} (${notice.kind}): no email, or no phone and no texts`);
      return null;
    }
    const officer = notice.officerId ? await this.officer(notice.officerId) : null;
    const message = wordFamilyMessage(notice, { policy: this.options.policy, now: event.recordedAt, officer });
    const retry = this.options.retry ?? {};
    return {
      name: `family:${notice.kind}:${route.channel}`,
      data: {
        kind: notice.kind,
        reference: notice.reference,
        requestId: notice.requestId,
        route: { channel: route.channel },
        subject: message.subject,
        text: route.channel === 'sms' ? message.sms : message.body,
      },
      opts: {
        jobId: familyJobId(event.id),
        attempts: retry.attempts ?? 5,
        backoff: { type: 'exponential', delay: retry.backoffMs ?? 30_000 },
        removeOnComplete: { age: retry.keepCompletedSeconds ?? 7 * 24 * 3600 },
        removeOnFail: false,
      },
    };
  }

  private async officer(officerId: string): Promise<OfficerForFamily | null> {
    const account = foldUserAccount(await this.options.store.read(userStreamId(officerId)));
    return account ? { firstName: firstNameOf(account.name), role: account.role } : null;
  }

  private warn(message: string): void {
    const logger = this.options.logger;
    if (logger?.warn) logger.warn(`[family-notifications] ${message}`);
    else logger?.info?.(`[family-notifications] ${message}`);
  }
}

/**
 * When the event's news happened: its own instant (an imported history, such as the demo data, is
 * appended today about days long past), or when a late-entered reply was entered; else when stored.
 */
function happenedAt(event: RecordedEvent): number {
  const d = event.data as { enteredAt?: string; at?: string; submittedAt?: string; breachedAt?: string };
  const t = Date.parse(d.enteredAt ?? d.at ?? d.submittedAt ?? d.breachedAt ?? '');
  return Number.isNaN(t) ? event.recordedAt.getTime() : Math.max(t, 0);
}

export interface FamilyWorkerOptions {
  connection: Redis | ConnectionOptions;
  prefix?: string;
  senders: FamilySenders;
  /** Where each job's address comes from (storeAddressBook). */
  addresses: FamilyAddressBook;
  concurrency?: number;
  /** As NotificationWorkerOptions.jobLockMs. */
  jobLockMs?: number;
  /** As NotificationWorkerOptions.onSent. */
  onSent?: (jobId: string | undefined) => void;
  logger?: { error(message: string, error?: unknown): void; warn?(message: string): void };
}

/** Sends family jobs; retries like alert deliveries, and keeps failed ones. */
export class FamilyWorker {
  readonly worker: Worker<FamilyJobData>;

  constructor(private readonly options: FamilyWorkerOptions) {
    this.worker = new Worker<FamilyJobData>(
      FAMILY_NOTIFICATIONS_QUEUE,
      // As alert deliveries: a job that runs again after its message went out does not send it again (ADR 0019).
      (job) =>
        sendOnce(job, () => this.deliver(job.id ?? job.name, job.data), {
          label: 'family-notifications',
          describe: `${job.id} (${job.data.kind} via ${job.data.route.channel})`,
          logger: options.logger,
        }).then(() => options.onSent?.(job.id)),
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency ?? 5,
        ...(options.jobLockMs === undefined ? {} : { lockDuration: options.jobLockMs, stalledInterval: options.jobLockMs }),
        autorun: false,
      },
    );
    logDeliveryFailures(
      this.worker,
      'family-notifications',
      (job) => `${job.id} (${job.data.kind} via ${job.data.route.channel})`,
      options.logger,
    );
  }

  start(): void {
    if (!this.worker.isRunning())
      void this.worker.run().catch((error) => this.options.logger?.error('[family-notifications] worker stopped', error));
  }

  async stop(): Promise<void> {
    await closeWorker(this.worker);
  }

  async deliver(deliveryId: string, data: FamilyJobData): Promise<void> {
    const { email, sms } = this.options.senders;
    const to = data.route.to ?? (data.requestId ? await this.options.addresses(data.requestId, data.route.channel) : null);
    if (!to) {
      // Erased since it was queued (or never had one): nobody to tell, and nothing to retry.
      this.options.logger?.warn?.(
        `[family-notifications] ${deliveryId} (${data.kind}) not sent: the family has no ${data.route.channel} address now`,
      );
      return;
    }
    try {
      if (data.route.channel === 'sms') {
        if (!sms) throw new PermanentDeliveryError('texts are not configured in this worker');
        await sms({ deliveryId, to, text: data.text });
      } else {
        if (!email) throw new PermanentDeliveryError('email is not configured in this worker');
        await email({ deliveryId, to, subject: data.subject, text: data.text });
      }
    } catch (error) {
      // A failed job keeps its reason for good: never with the address in it.
      const message = error instanceof Error ? error.message.split(to).join('[address]') : String(error);
      if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(message);
      if (error instanceof Error && message !== error.message) throw Object.assign(new Error(message), { name: error.name });
      throw error;
    }
  }
}
