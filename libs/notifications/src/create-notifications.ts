import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { EscalationRole } from '@send/domain';
import { RedisCheckpointStore, type EventStore } from '@send/event-store';
import { InAppChannel, LIVE_ALERTS_CHANNEL, NotifyChannel, SmtpEmailChannel, WebhookChannel, type NotificationChannel } from './channels';
import type { NotificationsConfig } from './config';
import {
  NOTIFICATIONS_QUEUE,
  NotificationDispatcher,
  PendingDeliveries,
  type DeliveryRetryOptions,
  type NotificationJobData,
} from './dispatch';
import { NotificationWorker } from './delivery';
import { ReadModelRecipientDirectory, type RecipientDirectory } from './recipients';
import type { Policy } from '@send/sla';
import {
  FAMILY_NOTIFICATIONS_QUEUE,
  FamilyDispatcher,
  FamilyWorker,
  familySendersFrom,
  storeAddressBook,
  type FamilyJobData,
} from './family';

export interface NotificationsLogger {
  error(message: string, error?: unknown): void;
  warn?(message: string): void;
  info?(message: string): void;
  log?(message: string): void;
}

export interface CreateNotificationsOptions {
  store: EventStore;
  /** The app's Redis client: checkpoints and in-app PUBLISH. BullMQ gets its own duplicate. */
  redis: Redis;
  config: NotificationsConfig;
  /** The time for webhook timestamps (an injected clock). */
  clock: (() => Date) | { now(): Date };
  /**
   * Key prefix: the checkpoint is `<prefix>checkpoint:notifications`, the live channel
   * `<prefix>alerts:live`, and BullMQ keys `<prefix>bull:notifications:*`. '' in the apps.
   */
  prefix?: string;
  logger?: NotificationsLogger;
  retry?: DeliveryRetryOptions;
  concurrency?: number;
  /** How long a delivery taken by a worker that died stays taken before another runs it (BullMQ lockDuration; default 30 s). */
  jobLockMs?: number;
  /** Requests whose state as of their last alert the dispatcher keeps (default 10,000). */
  keptStates?: number;
  breachRole?: EscalationRole;
  /** Defaults to the users read model in `redis` (ReadModelRecipientDirectory): the worker's projections keep it. */
  directory?: RecipientDirectory;
  /** Defaults to the channels the config turns on, plus in-app. For specs and custom channels. */
  channels?: NotificationChannel[];
  /** SubscriptionRunner backoff of the dispatcher. */
  subscriptionRetry?: { initialMs?: number; maxMs?: number };
  /**
   * The policy the due dates are worded in. With it (and `config.family` not false, and an email
   * or Notify channel on), families are told where their requests stand (ADR 0009).
   */
  policy?: Policy;
  /**
   * How often the dispatchers' checkpoints are looked at, to write again any Redis lost while they
   * ran (default 1 s; one GET each): a restart after a flush would otherwise send every past alert
   * again. stop() looks once more, so only a crash within this time of the loss can still do so.
   * At the same time the jobs enqueued and not yet finished are added again if Redis lost them
   * (PendingDeliveries: one command a look unless Redis lost its data).
   */
  checkpointWatchMs?: number;
}

export interface Notifications {
  dispatcher: NotificationDispatcher;
  worker: NotificationWorker;
  queue: Queue<NotificationJobData>;
  directory: RecipientDirectory;
  channels: NotificationChannel[];
  /** Present when families are told where they stand. */
  family: { dispatcher: FamilyDispatcher; worker: FamilyWorker; queue: Queue<FamilyJobData> } | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function channelsFromConfig(
  config: NotificationsConfig,
  deps: { redis: Redis; now: () => Date; prefix?: string; keepSeconds?: number },
): NotificationChannel[] {
  const channels: NotificationChannel[] = [
    new InAppChannel(deps.redis, config.inAppChannel ?? `${deps.prefix ?? ''}${LIVE_ALERTS_CHANNEL}`, { keepSeconds: deps.keepSeconds }),
  ];
  if (config.smtp) channels.push(new SmtpEmailChannel(config.smtp));
  if (config.notify) channels.push(new NotifyChannel(config.notify));
  if (config.webhook) channels.push(new WebhookChannel({ ...config.webhook, now: deps.now }));
  return channels;
}

/** Everything notifications need, wired: the dispatcher (events -> jobs) and the worker (jobs -> channels). */
export function createNotifications(options: CreateNotificationsOptions): Notifications {
  const prefix = options.prefix ?? '';
  const now = typeof options.clock === 'function' ? options.clock : () => (options.clock as { now(): Date }).now();
  const logger = adaptLogger(options.logger);
  // BullMQ needs maxRetriesPerRequest: null on the connection its worker blocks on.
  const connection = options.redis.duplicate({ maxRetriesPerRequest: null });
  const bullPrefix = `${prefix}bull`;
  const queue = new Queue<NotificationJobData>(NOTIFICATIONS_QUEUE, { connection, prefix: bullPrefix });
  const directory = options.directory ?? new ReadModelRecipientDirectory(options.redis);
  const channels =
    options.channels ??
    channelsFromConfig(options.config, { redis: options.redis, now, prefix, keepSeconds: options.retry?.keepCompletedSeconds });
  const warn = (message: string) => logger?.warn(`[notifications] ${message}`);
  const pending = new PendingDeliveries(queue, { warn });
  const dispatcher = new NotificationDispatcher({
    store: options.store,
    checkpoints: new RedisCheckpointStore(options.redis, { prefix }),
    queue,
    pending,
    directory,
    channels,
    publicBaseUrl: options.config.publicBaseUrl,
    retry: options.retry,
    breachRole: options.breachRole,
    logger,
    subscriptionRetry: options.subscriptionRetry,
    keptStates: options.keptStates,
  });
  const worker = new NotificationWorker({
    connection,
    prefix: bullPrefix,
    channels,
    publicBaseUrl: options.config.publicBaseUrl,
    concurrency: options.concurrency,
    jobLockMs: options.jobLockMs,
    logger,
    onSent: (id) => pending.forget(id),
  });
  const senders = familySendersFrom({
    smtp: channels.find((c): c is SmtpEmailChannel => c instanceof SmtpEmailChannel),
    notify: channels.find((c): c is NotifyChannel => c instanceof NotifyChannel),
  });
  const familyQueue =
    options.policy && options.config.family !== false && (senders.email || senders.sms)
      ? new Queue<FamilyJobData>(FAMILY_NOTIFICATIONS_QUEUE, { connection, prefix: bullPrefix })
      : null;
  const familyPending = familyQueue ? new PendingDeliveries(familyQueue, { warn }) : null;
  const family = familyQueue
    ? {
        queue: familyQueue,
        dispatcher: new FamilyDispatcher({
          store: options.store,
          checkpoints: new RedisCheckpointStore(options.redis, { prefix }),
          queue: familyQueue,
          pending: familyPending!,
          policy: options.policy!,
          available: { email: Boolean(senders.email), sms: Boolean(senders.sms) },
          now,
          retry: options.retry,
          logger,
          subscriptionRetry: options.subscriptionRetry,
        }),
        worker: new FamilyWorker({
          connection,
          prefix: bullPrefix,
          senders,
          addresses: storeAddressBook(options.store),
          concurrency: options.concurrency,
          jobLockMs: options.jobLockMs,
          logger,
          onSent: (id) => familyPending?.forget(id),
        }),
      }
    : null;
  let state: 'new' | 'started' | 'stopped' = 'new';
  let stopping: Promise<void> | null = null;
  let watch: NodeJS.Timeout | null = null;
  let watching: Promise<void> | null = null;
  const restoreCheckpoints = async () => {
    for (const d of [dispatcher, family?.dispatcher]) {
      if (d && (await d.restoreCheckpoint()))
        logger?.warn(`[notifications] Redis had lost the checkpoint of ${d === dispatcher ? 'alerts' : 'family messages'}: written again`);
    }
    // The jobs of events before that checkpoint that Redis lost undelivered: nothing else enqueues them again.
    for (const [p, what] of [
      [pending, 'alert deliveries'],
      [familyPending, 'family messages'],
    ] as const) {
      const requeued = p ? await p.requeueLost() : 0;
      if (requeued) logger?.warn(`[notifications] Redis had lost ${requeued} undelivered ${what}: added again`);
    }
  };
  return {
    dispatcher,
    worker,
    queue,
    directory,
    channels,
    family,
    async start() {
      if (state !== 'new') throw new Error(`notifications already ${state}; create a new instance to start again`);
      state = 'started';
      // Jobs a worker before this one enqueued and did not deliver: kept in view as this one's own.
      await pending.seed();
      await familyPending?.seed();
      worker.start();
      family?.worker.start();
      await dispatcher.start();
      await family?.dispatcher.start();
      watch = setInterval(() => {
        watching ??= restoreCheckpoints()
          .catch((error) => logger?.error('[notifications] checkpoint check failed; the next one retries', error))
          .finally(() => (watching = null));
      }, options.checkpointWatchMs ?? 1000);
      watch.unref();
    },
    stop() {
      // Once only: stop producing, let deliveries in flight finish, then let go of connections.
      stopping ??= (async () => {
        if (watch) clearInterval(watch);
        await watching;
        if (state === 'started') {
          await restoreCheckpoints().catch((error) => logger?.error('[notifications] checkpoint check at stop failed', error));
          await dispatcher.stop();
          await family?.dispatcher.stop();
        }
        state = 'stopped';
        await worker.stop();
        await family?.worker.stop();
        await queue.close();
        await family?.queue.close();
        await Promise.all(channels.map((c) => c.close?.()));
        await connection.quit().catch(() => connection.disconnect());
      })();
      return stopping;
    },
  };
}

function adaptLogger(logger?: NotificationsLogger) {
  if (!logger) return undefined;
  return {
    error: (m: string, e?: unknown) => logger.error(m, e),
    warn: (m: string) => (logger.warn ?? logger.log ?? logger.info)?.call(logger, m),
    info: (m: string) => (logger.info ?? logger.log)?.call(logger, m),
  };
}
