import { Queue, Worker } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { consoleLogger, type SchedulingLogger } from '../timers/logger';
import { closeWorker } from '../bullmq/close-worker';
import { replayErasures } from './erasure-replay';
import { runRetention, type RetentionOptions, type RetentionReport } from './retention-run';

export const RETENTION_QUEUE_NAME = 'retention';
export const RETENTION_JOB_NAME = 'daily-retention';
/** Every night at 02:30 in the policy's time zone: after the day's work, before the next. */
export const RETENTION_PATTERN = '30 2 * * *';

export interface RetentionJobOptions extends Omit<RetentionOptions, 'onProgress'> {
  redisUrl: string;
  prefix?: string;
  logger?: SchedulingLogger;
  /** Cron pattern (default RETENTION_PATTERN), in the policy's time zone. */
  pattern?: string;
}

/**
 * Retention as a daily BullMQ repeatable job (a job scheduler): however many workers run, BullMQ
 * makes one job a night and one worker takes it; a run is idempotent, so a retried job erases
 * nothing twice. Each run's counts are logged and kept as the job's result (bull-board shows them).
 * Each run also replays the erasures (replayErasures): keys an erasure deleted that are back (a key
 * backup restored without `npm run replay-erasures`) are deleted again within a day, and it warns.
 */
export class RetentionJob {
  private readonly connection: Redis;
  readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly logger: SchedulingLogger;

  constructor(private readonly options: RetentionJobOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.connection = new IORedis(options.redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue(RETENTION_QUEUE_NAME, { connection: this.connection, prefix: options.prefix });
    this.queue.on('error', (error) => this.logger.error('[retention] queue error', error));
  }

  async start(): Promise<void> {
    await this.queue.upsertJobScheduler(
      RETENTION_JOB_NAME,
      { pattern: this.options.pattern ?? RETENTION_PATTERN, tz: this.options.policy.calendar.timezone },
      {
        name: RETENTION_JOB_NAME,
        data: {},
        opts: {
          removeOnComplete: { count: 30 },
          removeOnFail: { count: 30 },
          attempts: 3,
          backoff: { type: 'exponential', delay: 60_000 },
        },
      },
    );
    this.worker = new Worker(RETENTION_QUEUE_NAME, () => this.run(), {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: 1,
    });
    this.worker.on('failed', (_job, error) => this.logger.error('[retention] run failed; BullMQ retries it', error));
    // Connection errors (Redis restarting, or closing at shutdown) are logged, never an unhandled 'error'.
    this.worker.on('error', (error) => this.logger.error('[retention] worker error', error));
  }

  /** One run now (the job's work; also what a test calls). */
  async run(): Promise<RetentionReport & { keysDeletedAgain: number }> {
    const report = await runRetention(this.options);
    this.logger.log?.(
      `[retention] ${report.pastRetention} of ${report.resolved} resolved requests past retention.closedRequests ` +
        `(${this.options.policy.retention.closedRequests}): ${report.erased} erased now, ${report.alreadyErased} before; ${report.keysDeleted} keys deleted (${report.ms} ms)`,
    );
    const replay = await replayErasures({ store: this.options.store, dataKeys: this.options.dataKeys });
    if (replay.keysDeleted > 0)
      this.logger.warn?.(
        `[retention] ${replay.keysDeleted} data keys that erasures had deleted were back (a key backup restored without ` +
          'npm run replay-erasures?): deleted again; rebuild the read models (npm run rebuild-read-models)',
      );
    return { ...report, keysDeletedAgain: replay.keysDeleted };
  }

  async stop(): Promise<void> {
    if (this.worker) await closeWorker(this.worker);
    await this.queue.close();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
