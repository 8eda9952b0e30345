import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { EscalationRole } from '@send/domain';
import { RedisCheckpointStore, type EventStore } from '@send/event-store';
import { InAppChannel, LIVE_ALERTS_CHANNEL, NotifyChannel, SmtpEmailChannel, WebhookChannel, type NotificationChannel } from './channels';
import type { NotificationsConfig } from './config';
import { NOTIFICATIONS_QUEUE, NotificationDispatcher, type DeliveryRetryOptions, type NotificationJobData } from './dispatch';
import { NotificationWorker } from './delivery';
import { ReadModelRecipientDirectory, type RecipientDirectory } from './recipients';

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
  breachRole?: EscalationRole;
  /** Defaults to the users read model in `redis` (ReadModelRecipientDirectory): the worker's projections keep it. */
  directory?: RecipientDirectory;
  /** Defaults to the channels the config turns on, plus in-app. For specs and custom channels. */
  channels?: NotificationChannel[];
  /** SubscriptionRunner backoff of the dispatcher. */
  subscriptionRetry?: { initialMs?: number; maxMs?: number };
}

export interface Notifications {
  dispatcher: NotificationDispatcher;
  worker: NotificationWorker;
  queue: Queue<NotificationJobData>;
  directory: RecipientDirectory;
  channels: NotificationChannel[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function channelsFromConfig(
  config: NotificationsConfig,
  deps: { redis: Redis; now: () => Date; prefix?: string },
): NotificationChannel[] {
  const channels: NotificationChannel[] = [
    new InAppChannel(deps.redis, config.inAppChannel ?? `${deps.prefix ?? ''}${LIVE_ALERTS_CHANNEL}`),
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
  const channels = options.channels ?? channelsFromConfig(options.config, { redis: options.redis, now, prefix });
  const dispatcher = new NotificationDispatcher({
    store: options.store,
    checkpoints: new RedisCheckpointStore(options.redis, { prefix }),
    queue,
    directory,
    channels,
    retry: options.retry,
    breachRole: options.breachRole,
    logger,
    subscriptionRetry: options.subscriptionRetry,
  });
  const worker = new NotificationWorker({
    connection,
    prefix: bullPrefix,
    channels,
    publicBaseUrl: options.config.publicBaseUrl,
    concurrency: options.concurrency,
    logger,
  });
  let state: 'new' | 'started' | 'stopped' = 'new';
  let stopping: Promise<void> | null = null;
  return {
    dispatcher,
    worker,
    queue,
    directory,
    channels,
    async start() {
      if (state !== 'new') throw new Error(`notifications already ${state}; create a new instance to start again`);
      state = 'started';
      worker.start();
      await dispatcher.start();
    },
    stop() {
      // Once only: stop producing, let deliveries in flight finish, then let go of connections.
      stopping ??= (async () => {
        if (state === 'started') {
          await dispatcher.stop();
        }
        state = 'stopped';
        await worker.stop();
        await queue.close();
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
