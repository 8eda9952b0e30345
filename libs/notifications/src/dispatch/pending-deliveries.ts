import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';

/** A job as a dispatcher enqueues it (Queue.addBulk's entry), with its deterministic id. */
export interface PendingJob<T> {
  name: string;
  data: T;
  opts: JobsOptions;
}

/** States of a job not yet delivered (BullMQ's names). */
const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'paused'] as const;

/**
 * The delivery jobs a dispatcher has enqueued and not yet seen finish, so that a Redis that loses
 * them (FLUSHALL, a restart without persistence) does not lose the messages: the dispatcher's
 * checkpoint is written back after such a loss (so past alerts are not sent again), and the events
 * behind these jobs lie before it, so nothing else would ever enqueue them again.
 *
 * `requeueLost` (the notifications' checkpoint watch, every second) first asks whether a key only
 * this instance writes (SET NX, a day's expiry) is still there: one command, however many jobs are
 * tracked. Only when it is gone (Redis lost what it held, or the first look, or a day passed), or
 * once a `sweepMs`, does it ask for each job's `finishedOn` in one pipeline: a finished job
 * (completed, or failed for good) is forgotten; a job whose hash is gone, and which was never seen
 * finished, was lost, and is added again under its id. The key is this instance's own, so each of
 * two workers on one Redis sees the loss and adds back its own jobs.
 * A worker in the same process says `forget` the moment a job's message is out, so a loss after
 * that sends nothing again. What a loss can still cost: a message in the middle of its send, or
 * sent by a worker in another process in the second before the loss, is sent again (the same
 * Message-ID, ADR 0019); jobs enqueued by a worker that died before the loss are known only from
 * `seed` at the next start.
 */
export class PendingDeliveries<T> {
  private readonly jobs = new Map<string, PendingJob<T>>();
  /** Gone from Redis means Redis lost what it held since the last look (see the class comment). */
  private readonly watchKey: string;
  private lastSweep = 0;

  constructor(
    private readonly queue: Queue<T>,
    private readonly options: {
      max?: number;
      warn?: (message: string) => void;
      /** How often the jobs are looked up without a loss, to forget those finished by other processes' workers (default 60 s). */
      sweepMs?: number;
    } = {},
  ) {
    this.watchKey = queue.toKey(`pending-watch:${randomUUID()}`);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Remembers jobs just added (ids required; beyond `max`, default 20,000, they are not tracked, with a warning). */
  track(jobs: ReadonlyArray<PendingJob<T>>): void {
    const max = this.options.max ?? 20_000;
    let untracked = 0;
    for (const job of jobs) {
      if (!job.opts.jobId) continue;
      if (this.jobs.size >= max && !this.jobs.has(job.opts.jobId)) untracked++;
      else this.jobs.set(job.opts.jobId, job);
    }
    if (untracked)
      this.options.warn?.(
        `${this.queue.name}: ${untracked} job(s) not tracked (over ${max} undelivered): a Redis loss now would lose them`,
      );
  }

  /** A job whose message went out (a worker in this process said so): a loss from now on needs no re-send. */
  forget(jobId: string | undefined): void {
    if (jobId !== undefined) this.jobs.delete(jobId);
  }

  /** Takes up the unfinished jobs the queue holds (enqueued by a worker that ran before this one). */
  async seed(): Promise<void> {
    const jobs = await this.queue.getJobs([...UNFINISHED]);
    this.track(
      jobs
        .filter((j) => j?.id)
        .map((j) => ({ name: j.name, data: j.data, opts: { ...j.opts, jobId: j.id, delay: undefined, repeat: undefined } })),
    );
  }

  /** Forgets the finished jobs and adds again those Redis lost. Returns how many were added again. */
  async requeueLost(): Promise<number> {
    if (this.jobs.size === 0) return 0;
    const client = await this.queue.client;
    const lost = (await (client as unknown as Redis).set(this.watchKey, '1', 'EX', 86_400, 'NX')) === 'OK';
    if (!lost && Date.now() - this.lastSweep < (this.options.sweepMs ?? 60_000)) return 0;
    this.lastSweep = Date.now();
    try {
      return await this.lookUp(client);
    } catch (error) {
      // Not looked up whole: the next tick looks again.
      await client.del(this.watchKey).catch(() => undefined);
      throw error;
    }
  }

  private async lookUp(client: Awaited<Queue<T>['client']>): Promise<number> {
    const ids = [...this.jobs.keys()];
    const lookup = client.pipeline();
    for (const id of ids) (lookup as unknown as ChainableCommander).hmget(this.queue.toKey(id), 'finishedOn', 'timestamp');
    const answers = (await lookup.exec()) ?? [];
    const gone: PendingJob<T>[] = [];
    ids.forEach((id, i) => {
      const [error, value] = answers[i] ?? [new Error('no answer'), null];
      if (error) throw error;
      const [finishedOn, timestamp] = value as [string | null, string | null];
      if (finishedOn !== null) this.jobs.delete(id);
      else if (timestamp === null) gone.push(this.jobs.get(id)!);
    });
    if (gone.length) await this.queue.addBulk(gone as Parameters<Queue<T>['addBulk']>[0]);
    return gone.length;
  }
}
