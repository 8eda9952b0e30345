import type { Queue } from 'bullmq';
import { KeptStates, REQUEST_STREAM_PREFIX, USER_ACCOUNT_EVENT_TYPES, USER_STREAM_PREFIX, type EscalationRole } from '@send/domain';
import { SubscriptionRunner, type CheckpointStore, type EventStore, type RecordedEvent, type RunnerLogger } from '@send/event-store';
import { outgoingAlert, type ChannelName, type DeliveryTarget, type NotificationChannel } from '../channels';
import type { Recipient, RecipientDirectory } from '../recipients';
import { isAlertEventType, type AlertSummary } from '../templates';
import { traceAlert } from '../alert-trace';
import { alertRecipients } from './alert-recipients';
import { loadAlert } from './load-alert';
import type { PendingDeliveries } from './pending-deliveries';
import { deliveryJobId, deliveryJobOptions, type DeliveryRetryOptions, type NotificationJobData } from './notification-job';

export interface NotificationDispatcherOptions {
  store: EventStore;
  checkpoints: CheckpointStore;
  queue: Queue<NotificationJobData>;
  directory: RecipientDirectory;
  /**
   * The channels that are on: person channels get a delivery per recipient, audience channels one
   * per alert. Each delivery is a job on `queue`, except on an `immediate` channel, which the
   * dispatcher sends itself (its `send` is then required).
   */
  channels: ReadonlyArray<Pick<NotificationChannel, 'name' | 'fanOut' | 'immediate'> & { send?: NotificationChannel['send'] }>;
  /** Makes links absolute in what immediate channels send (the delivery worker's publicBaseUrl). */
  publicBaseUrl?: string;
  /** Checkpoint name (default 'notifications'). One active dispatcher per name. */
  name?: string;
  retry?: DeliveryRetryOptions;
  /** Who hears of a breach when no escalation is open (default team_manager). */
  breachRole?: EscalationRole;
  logger?: RunnerLogger & { warn?(message: string): void };
  /** Backoff of the subscription when loading or enqueueing fails (SubscriptionRunner's). */
  subscriptionRetry?: { initialMs?: number; maxMs?: number };
  /** Told of every job enqueued, so jobs a Redis loss takes are added again (createNotifications' watch). */
  pending?: PendingDeliveries<NotificationJobData>;
  /** Requests whose state as of their last alert is kept (default 10,000). */
  keptStates?: number;
}

const ACCOUNT_EVENT_TYPES: ReadonlySet<string> = new Set(USER_ACCOUNT_EVENT_TYPES);

export interface PlannedDelivery {
  name: string;
  data: NotificationJobData;
  opts: ReturnType<typeof deliveryJobOptions>;
}

/**
 * The durable subscriber that turns alert events into deliveries: jobs on the queue, and the
 * in-app publish, which it sends itself (an immediate channel: the live stream waits for no queue).
 * Checkpoint after each event ('after-handle'): an event is dispatched at least once, and the
 * deterministic delivery ids make a second dispatch of the same event add and publish nothing, so
 * every due alert is sent once even across crashes.
 */
export class NotificationDispatcher {
  readonly name: string;
  private readonly runner: SubscriptionRunner;
  /**
   * The position of the last account event this dispatcher has seen (0n: none since it knew the
   * users read model complete; null: unknown, just after starting from a checkpoint). An alert's
   * recipients need the read model to hold every account registered before the alert, which is
   * this position, not the alert's: so an alert waits for the projections only when an account
   * changed since, not for the projection of every busy request in between.
   */
  private lastAccountEvent: bigint | null = null;
  /** The states of requests that alerted, kept up with their events: an alert reads only itself and what followed. */
  private readonly kept: KeptStates;
  /**
   * The directory's answers by role and team, kept until the next account event: an answer holds
   * every account up to the last account event seen (the lookup waited for that), and only account
   * events change who holds a role, so the alerts after it need no lookup (three round trips each).
   */
  private recipientsSeen = new Map<string, Promise<Recipient[]>>();

  constructor(private readonly options: NotificationDispatcherOptions) {
    this.name = options.name ?? 'notifications';
    this.kept = new KeptStates(options.keptStates);
    this.runner = new SubscriptionRunner({
      store: options.store,
      checkpoints: options.checkpoints,
      name: this.name,
      // Every request event, not only alerts: the others keep the alerting requests' states up to
      // date (KeptStates.follow), which costs a fold each, against a read of everything since the
      // last alert at the next one.
      filter: { streamPrefixes: [REQUEST_STREAM_PREFIX, USER_STREAM_PREFIX] },
      checkpointMode: 'after-handle',
      // A batch at a time: one addBulk and one checkpoint for the alerts of a busy moment, not a
      // round trip of each per alert (they queued up behind each other under load).
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

  /** Position of the last event enqueued and checkpointed. */
  get checkpoint(): bigint | 'start' {
    return this.runner.checkpoint;
  }

  /** SubscriptionRunner.restoreCheckpoint: true when Redis had lost the checkpoint and it was written again. */
  restoreCheckpoint(): Promise<boolean> {
    return this.runner.restoreCheckpoint();
  }

  get lastError(): unknown {
    return this.runner.lastError;
  }

  async handle(event: RecordedEvent): Promise<void> {
    await this.handleBatch([event]);
  }

  /**
   * Sends the immediate deliveries of every event of the batch and enqueues the others' jobs at
   * once (all or nothing: a failure retries the batch; job ids dedupe, immediate channels send once per id).
   */
  async handleBatch(events: RecordedEvent[]): Promise<void> {
    const jobs: PlannedDelivery[] = [];
    const sent: Promise<void>[] = [];
    for (const event of events) {
      if (event.streamId.startsWith(USER_STREAM_PREFIX)) {
        if (ACCOUNT_EVENT_TYPES.has(event.type)) {
          this.lastAccountEvent = event.position;
          this.recipientsSeen = new Map();
        }
        continue;
      }
      if (!isAlertEventType(event.type)) {
        this.kept.follow(event);
        continue;
      }
      if (event.type === 'EscalationRaised')
        traceAlert('worker-read', event.streamId.slice(REQUEST_STREAM_PREFIX.length), event.recordedAt);
      for (const delivery of await this.plan(event)) {
        const channel = this.options.channels.find((c) => c.name === delivery.data.channel);
        // In-app first and on its own: the live stream does not wait for the queue's round trips.
        if (channel?.immediate && channel.send) {
          const sending = this.sendNow(channel.send.bind(channel), delivery);
          sending.catch(() => undefined); // awaited below with the others; not unhandled meanwhile
          sent.push(sending);
        } else jobs.push(delivery);
      }
    }
    await Promise.all(sent);
    if (jobs.length > 0) {
      await this.options.queue.addBulk(jobs);
      this.options.pending?.track(jobs);
    }
  }

  /** An immediate channel's delivery, sent under its job id (the channel sends once per id). */
  private async sendNow(send: NonNullable<NotificationChannel['send']>, { data, opts }: PlannedDelivery): Promise<void> {
    await send(outgoingAlert(opts.jobId!, data.alert, { baseUrl: this.options.publicBaseUrl }), data.target);
    traceAlert('worker-published', data.alert.requestId);
  }

  /** The deliveries an event calls for (none for events that raise no alert). */
  async plan(event: RecordedEvent): Promise<PlannedDelivery[]> {
    const loaded = await loadAlert(this.options.store, event, { breachRole: this.options.breachRole, kept: this.kept });
    if (!loaded) return [];
    const { alert, recipients } = await this.recipientsOf(loaded, this.lastAccountEvent ?? event.position);
    this.lastAccountEvent ??= 0n; // the read model held every account up to this alert
    const role = alert.notifyRole;
    const userIds = recipients.map((r) => r.userId);
    const jobs: PlannedDelivery[] = [];
    const add = (channel: ChannelName, target: DeliveryTarget) => {
      const jobId = deliveryJobId(event.id, channel, target);
      jobs.push({
        name: `${alert.kind}:${channel}`,
        data: { alert, channel, target },
        opts: deliveryJobOptions(jobId, this.options.retry),
      });
    };
    for (const channel of this.options.channels) {
      if (channel.fanOut === 'audience') {
        add(channel.name, { role, teamId: alert.teamId, userIds });
      } else {
        for (const recipient of recipients) {
          if (recipient.email) add(channel.name, { role, teamId: alert.teamId, userIds, recipient });
        }
      }
    }
    return jobs;
  }

  /** The holders of the alerted role, or the service managers covering for a missing team manager (alertRecipients). */
  private async recipientsOf(alert: AlertSummary, asOf: bigint): Promise<{ alert: AlertSummary; recipients: Recipient[] }> {
    const chosen = await alertRecipients(alert, (role, teamId) => this.recipientsFor(role, teamId, asOf));
    if (chosen.covered) this.warn(`no team manager for ${alert.reference} (team ${alert.teamId ?? 'none'}); alerting the service managers`);
    else if (chosen.recipients.length === 0)
      this.warn(`no ${alert.notifyRole} to alert for ${alert.reference}; only audience channels will carry it`);
    return chosen;
  }

  /** The directory's answer, asked once per role and team until an account changes. */
  private recipientsFor(role: EscalationRole, teamId: string | null, asOf: bigint): Promise<Recipient[]> {
    const key = `${role}|${teamId ?? ''}`;
    let answer = this.recipientsSeen.get(key);
    if (!answer) {
      const asked = this.options.directory.recipientsFor(role, teamId, asOf);
      this.recipientsSeen.set(key, (answer = asked));
      // A lookup that failed (the read model behind) is asked again when the batch is retried.
      asked.catch(() => this.recipientsSeen.get(key) === asked && this.recipientsSeen.delete(key));
    }
    return answer;
  }

  private warn(message: string): void {
    const logger = this.options.logger;
    if (logger?.warn) logger.warn(`[notifications] ${message}`);
    else logger?.info?.(`[notifications] ${message}`);
  }
}
