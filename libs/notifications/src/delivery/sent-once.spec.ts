import Redis from 'ioredis';
import { Queue, Worker, type Job } from 'bullmq';
import { v4 as uuid } from 'uuid';
import { testRedis } from '@send/event-store/testing/test-redis';
import { sendOnce, sentMarkOf } from './sent-once';

/**
 * Real Redis and BullMQ: a delivery job whose worker died after the message went out (it never
 * completed the job) is found stalled and run again by another worker, which must not send again.
 */
let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
beforeAll(async () => {
  redisServer = await testRedis();
  redis = new Redis(redisServer.url, { db: 8, maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis?.quit();
  await redisServer?.stop();
});

const until = async (what: () => boolean | Promise<boolean>, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A worker whose processor calls `run` with sendOnce around a send that records who sent. */
function worker(name: string, prefix: string, sent: string[], run: (job: Job, send: () => Promise<string>) => Promise<unknown>) {
  return new Worker(
    'deliveries',
    (job) =>
      run(job, async () => {
        sent.push(`${job.id} by ${name}`);
        return 'sent';
      }),
    // A short lock, so a dead worker's job is found stalled within seconds.
    { connection: redis, prefix, lockDuration: 500, stalledInterval: 500 },
  );
}

describe('sendOnce: a delivery job run again does not send again', () => {
  it('the job of a worker that died after sending is run again by another and sends nothing', async () => {
    const prefix = `test:sent-once:${uuid()}`;
    const queue = new Queue('deliveries', { connection: redis, prefix });
    const sent: string[] = [];
    // The first worker sends, records the send, then "dies" before completing the job.
    let died = false;
    const first = worker('first', prefix, sent, async (job, send) => {
      await sendOnce(job, send, { label: 'test', describe: String(job.id) });
      died = true;
      return new Promise(() => undefined);
    });
    await queue.add('alert', {}, { jobId: 'alert-1|email|user-1' });
    await until(() => died);
    await first.close(true); // no more lock renewals: as a SIGKILL leaves it
    const warnings: string[] = [];
    const second = worker('second', prefix, sent, (job, send) =>
      sendOnce(job, send, { label: 'test', describe: String(job.id), logger: { error: () => undefined, warn: (m) => warnings.push(m) } }),
    );
    try {
      await until(async () => (await queue.getJobState('alert-1|email|user-1')) === 'completed');
      expect(sent).toEqual(['alert-1|email|user-1 by first']);
      expect(warnings.join()).toMatch(/was sent at .* by an earlier run of the job; not sent again/);
      const job = await queue.getJob('alert-1|email|user-1');
      expect(sentMarkOf(job!)).toEqual({ sentAt: expect.any(String) });
    } finally {
      await second.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 30_000);

  it('the job of a worker that died before its send went out is sent by the next', async () => {
    const prefix = `test:sent-once:${uuid()}`;
    const queue = new Queue('deliveries', { connection: redis, prefix });
    const sent: string[] = [];
    let died = false;
    const first = worker('first', prefix, sent, async () => {
      died = true;
      return new Promise(() => undefined); // dies while connecting to the SMTP server
    });
    await queue.add('alert', {}, { jobId: 'alert-2|email|user-1' });
    await until(() => died);
    await first.close(true);
    const second = worker('second', prefix, sent, (job, send) => sendOnce(job, send, { label: 'test', describe: String(job.id) }));
    try {
      await until(async () => (await queue.getJobState('alert-2|email|user-1')) === 'completed');
      expect(sent).toEqual(['alert-2|email|user-1 by second']);
    } finally {
      await second.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 30_000);

  it('a send that failed records nothing, so the retry sends', async () => {
    const prefix = `test:sent-once:${uuid()}`;
    const queue = new Queue('deliveries', { connection: redis, prefix });
    const sent: string[] = [];
    let tries = 0;
    const w = new Worker(
      'deliveries',
      (job) =>
        sendOnce(
          job,
          async () => {
            if (++tries === 1) throw new Error('421 try again later');
            sent.push(String(job.id));
          },
          { label: 'test', describe: String(job.id) },
        ),
      { connection: redis, prefix },
    );
    try {
      await queue.add('alert', {}, { jobId: 'alert-3|email|user-1', attempts: 3, backoff: { type: 'fixed', delay: 50 } });
      await until(async () => (await queue.getJobState('alert-3|email|user-1')) === 'completed');
      expect({ tries, sent }).toEqual({ tries: 2, sent: ['alert-3|email|user-1'] });
    } finally {
      await w.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 30_000);
});
