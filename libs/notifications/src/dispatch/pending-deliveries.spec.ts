import Redis from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { v4 as uuid } from 'uuid';
import { testRedis } from '@send/event-store/testing/test-redis';
import { PendingDeliveries } from './pending-deliveries';

/** Real Redis and BullMQ, each test in a database of its own so it can be flushed. */
let redisServer: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  redisServer = await testRedis();
});
afterAll(async () => {
  await redisServer?.stop();
});

async function setup(db: number) {
  const redis = new Redis(redisServer.url, { db, maxRetriesPerRequest: null });
  await redis.flushdb();
  const prefix = `test:pending:${uuid()}`;
  const queue = new Queue<{ n: number }>('deliveries', { connection: redis, prefix });
  const done = async () => {
    await queue.close();
    await redis.quit();
  };
  return { redis, queue, prefix, done };
}

const job = (n: number) => ({ name: 'alert', data: { n }, opts: { jobId: `alert-${n}|email|user-1`, attempts: 3 } });

describe('PendingDeliveries: jobs Redis lost undelivered are added again', () => {
  it('a flush takes the waiting jobs; requeueLost adds them again under their ids, with their data', async () => {
    const { redis, queue, done } = await setup(5);
    try {
      const pending = new PendingDeliveries(queue);
      await queue.addBulk([job(1), job(2)]);
      pending.track([job(1), job(2)]);
      expect(await pending.requeueLost()).toBe(0); // nothing lost yet
      await redis.flushdb();
      expect(await queue.getJob('alert-1|email|user-1')).toBeUndefined();
      expect(await pending.requeueLost()).toBe(2);
      expect((await queue.getJob('alert-2|email|user-1'))?.data).toEqual({ n: 2 });
      expect((await queue.getJobCounts('waiting')).waiting).toBe(2);
      expect(await pending.requeueLost()).toBe(0); // there again: not added twice
    } finally {
      await done();
    }
  });

  it('finished jobs are forgotten, so a flush after their delivery sends nothing again', async () => {
    const { redis, queue, prefix, done } = await setup(6);
    const delivered: number[] = [];
    const connection = redis.duplicate();
    const worker = new Worker<{ n: number }>('deliveries', async (j) => void delivered.push(j.data.n), {
      connection,
      prefix,
    });
    try {
      const pending = new PendingDeliveries(queue);
      await queue.addBulk([job(1)]);
      pending.track([job(1)]);
      for (let i = 0; i < 200 && (await queue.getJobState('alert-1|email|user-1')) !== 'completed'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(await pending.requeueLost()).toBe(0);
      expect(pending.size).toBe(0);
      await redis.flushdb();
      expect(await pending.requeueLost()).toBe(0);
      expect(delivered).toEqual([1]);
    } finally {
      await worker.close();
      await connection.quit();
      await done();
    }
  });

  it('a job whose message went out (forget) is not added again after a flush, even before it completed', async () => {
    const { redis, queue, done } = await setup(4);
    try {
      const pending = new PendingDeliveries(queue);
      await queue.addBulk([job(5), job(6)]);
      pending.track([job(5), job(6)]);
      pending.forget('alert-5|email|user-1');
      await redis.flushdb();
      expect(await pending.requeueLost()).toBe(1);
      expect(await queue.getJob('alert-5|email|user-1')).toBeUndefined();
      expect(await queue.getJob('alert-6|email|user-1')).toBeDefined();
    } finally {
      await done();
    }
  });

  it('seed takes up the unfinished jobs an earlier worker enqueued', async () => {
    const { redis, queue, done } = await setup(7);
    try {
      await queue.addBulk([job(3), job(4)]);
      const pending = new PendingDeliveries(queue);
      await pending.seed();
      expect(pending.size).toBe(2);
      await redis.flushdb();
      expect(await pending.requeueLost()).toBe(2);
      expect((await queue.getJob('alert-4|email|user-1'))?.opts.attempts).toBe(3);
    } finally {
      await done();
    }
  });
  it('without a loss a look costs one command, however many jobs are tracked; a loss is still seen at the next look', async () => {
    const { redis, queue, done } = await setup(8);
    try {
      const pending = new PendingDeliveries(queue);
      const jobs = Array.from({ length: 500 }, (_, i) => job(100 + i));
      await queue.addBulk(jobs);
      pending.track(jobs);
      expect(await pending.requeueLost()).toBe(0); // the first look is whole
      // The job look-ups, counted by the server.
      const hmgets = async () => Number(/cmdstat_hmget:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
      const before = await hmgets();
      for (let i = 0; i < 3; i++) expect(await pending.requeueLost()).toBe(0);
      expect(await hmgets()).toBe(before);
      await redis.flushdb();
      expect(await pending.requeueLost()).toBe(500);
      expect(await hmgets()).toBeGreaterThanOrEqual(before + 500);
      expect((await queue.getJobCounts('waiting')).waiting).toBe(500);
    } finally {
      await done();
    }
  });

  it('two instances on one Redis (two workers) each see the loss and add back their own jobs', async () => {
    const { redis, queue, done } = await setup(9);
    try {
      const first = new PendingDeliveries(queue);
      const second = new PendingDeliveries(queue);
      await queue.addBulk([job(1), job(2)]);
      first.track([job(1)]);
      second.track([job(2)]);
      expect(await first.requeueLost()).toBe(0);
      expect(await second.requeueLost()).toBe(0);
      await redis.flushdb();
      expect(await first.requeueLost()).toBe(1);
      expect(await second.requeueLost()).toBe(1);
      expect((await queue.getJobCounts('waiting')).waiting).toBe(2);
    } finally {
      await done();
    }
  });

  it('once a sweepMs the jobs are looked up without a loss, forgetting those finished elsewhere', async () => {
    const { redis, queue, done } = await setup(10);
    try {
      const pending = new PendingDeliveries(queue, { sweepMs: 0 });
      await queue.addBulk([job(1)]);
      pending.track([job(1)]);
      expect(await pending.requeueLost()).toBe(0);
      expect(pending.size).toBe(1);
      // Finished by another process's worker: this instance was never told.
      await (await queue.getJob('alert-1|email|user-1'))!.remove();
      await queue.add('alert', { n: 1 }, { jobId: 'alert-1|email|user-1' });
      await redis.hset(queue.toKey('alert-1|email|user-1'), 'finishedOn', String(Date.now()));
      expect(await pending.requeueLost()).toBe(0);
      expect(pending.size).toBe(0);
    } finally {
      await done();
    }
  });
});
