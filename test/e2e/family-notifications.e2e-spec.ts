import Redis from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '../support/processes';
import { startSmtpSink, type ReceivedMail } from '../support/smtp-sink';
import { apiClient, eventually, freePort, startThrowawayRedis } from '../support/system';

/**
 * The family is told where they stand (issue 10, ADR 0009), on the real api + worker + SQLite +
 * Redis + an SMTP sink: receipt, pick-up, late reply and closing each arrive once, even though the
 * worker is killed midway and made to read every event again; none carries the case's words.
 * Policy: 24/7, seconds; complaints are due in 3 s so the late-reply message comes quickly.
 */
const POLICY = `
calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }
sla:
  default: { firstResponse: PT600S, resolution: PT1200S }
  categories:
    complaint: { firstResponse: PT3S, resolution: PT1200S }
unanswered: { threshold: 3 }
escalation:
  chain:
    - { role: team_manager,    ackWithin: PT600S, respondWithin: PT600S }
    - { role: service_manager, ackWithin: PT600S, respondWithin: PT600S }
    - { role: head_of_service, ackWithin: PT600S, respondWithin: PT600S }
`;

const CASE_TEXT = {
  subject: 'Barnaby transport complaint',
  message: 'The taxi for Barnaby has not come for nine days.',
  summary: 'Phoned mum about Barnaby; new taxi firm from Monday.',
  outcome: 'Transport restored for Barnaby.',
};

/** The text of a mail, quoted-printable soft breaks undone (enough for nodemailer's plain text). */
const textOf = (mail: ReceivedMail) => mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));

describe('the family is told where they stand (api + worker + SQLite + Redis + SMTP)', () => {
  let dir: string;
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let redis: Redis;
  let api: AppProcess;
  let worker: AppProcess;
  let env: Record<string, string>;
  const as: Record<string, ReturnType<ReturnType<typeof apiClient>['as']>> = {};
  const ids: Record<string, string> = {};

  const startWorker = async () => {
    worker = new AppProcess('worker', env);
    await worker.start((out) => out.includes('worker running'));
  };
  const familyMails = (reference: string) =>
    smtp.mails.filter((m) => m.to.includes('parent@example.org') && textOf(m).includes(reference)).map(textOf);
  const mailSaying = (reference: string, words: string) =>
    eventually(() => familyMails(reference).find((m) => m.includes(words)), 20_000, `the family's "${words}" email`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'send-family-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    [redisServer, smtp] = await Promise.all([startThrowawayRedis(), startSmtpSink()]);
    env = {
      PORT: String(await freePort()),
      REDIS_URL: redisServer.url,
      SQLITE_PATH: join(dir, 'events.db'),
      POLICY_FILE: join(dir, 'policy.yaml'),
      SMTP_URL: smtp.url,
      DEMO: 'true',
      TIMER_RECONCILE_EVERY: '600000',
    };
    api = new AppProcess('api', env);
    await api.start((out) => out.includes('api listening'));
    await startWorker();
    redis = new Redis(redisServer.url);
    const client = apiClient(`http://127.0.0.1:${env.PORT}`);
    const signedIn = await client.signIn({
      parent: 'parent@example.org',
      officer: 'officer@example.org',
      officer2: 'officer2@example.org',
      manager: 'manager@example.org',
    });
    Object.assign(as, signedIn.as);
    Object.assign(ids, signedIn.ids);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([api?.stop(), worker?.stop()]);
    await Promise.all([redisServer?.stop(), smtp?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('receipt, pick-up, late reply and closing arrive once each, across a worker crash and a full redelivery, with no case text', async () => {
    const { body: request } = await as.parent.post('/api/requests', { category: 'complaint', subject: CASE_TEXT.subject, message: CASE_TEXT.message });
    const ref: string = request.reference;

    // Routing assigned it to the case officer in the submission's own append: one receipt says so.
    const receipt = await mailSaying(ref, 'We have your request');
    expect(receipt).toContain(`Your reference is ${ref}.`);
    expect(receipt).toContain('Olu, a SEND officer, is looking after it.');
    expect(receipt).toMatch(/We will reply by \d+:\d\d(am|pm) today, /);

    // The team manager hands it to another officer: the family hears who, by first name and role.
    expect((await as.manager.post(`/api/requests/${request.id}/assign`, { officerId: ids.officer2 })).status).toBe(200);
    const pickUp = await mailSaying(ref, 'is now looking after your request');
    expect(pickUp).toContain('Priya, a SEND officer,');
    expect(pickUp).not.toMatch(/Priya Officer|Olu Officer/); // first names only

    // The complaint's 3 s first-response clock runs out.
    const late = await mailSaying(ref, 'We have not met our promise');
    expect(late).toContain('A manager has been told');

    // A crash, and the family dispatcher made to read every event again from the start: the job
    // ids (the event ids) are already in BullMQ, so nothing is sent twice.
    await worker.kill();
    await redis.del('checkpoint:family-notifications');
    await startWorker();

    expect((await as.officer2.post(`/api/requests/${request.id}/responses`, { channel: 'phone', summary: CASE_TEXT.summary })).status).toBe(201);
    expect((await as.officer2.post(`/api/requests/${request.id}/resolve`, { outcome: CASE_TEXT.outcome })).status).toBe(200);
    await mailSaying(ref, `We have closed your request ${ref}.`);

    // Long enough for any redelivered event to have been sent again.
    await new Promise((r) => setTimeout(r, 3000));
    const mails = familyMails(ref);
    const count = (words: string) => mails.filter((m) => m.includes(words)).length;
    expect({
      receipt: count('We have your request'),
      pickUp: count('is now looking after your request'),
      late: count('We have not met our promise'),
      closed: count('We have closed your request'),
    }).toEqual({ receipt: 1, pickUp: 1, late: 1, closed: 1 });
    expect(mails).toHaveLength(4); // a full reply is its own news: no message for it
    for (const mail of mails) for (const words of Object.values(CASE_TEXT)) expect(mail).not.toContain(words);
  }, 120_000);

  it('a family who chose no messages gets none; their choice is kept on their account', async () => {
    expect((await as.parent.put('/api/me/notifications', { channel: 'none' })).body).toEqual({ channel: 'none' });
    expect((await as.parent.get('/api/me/notifications')).body).toEqual({ channel: 'none' });
    expect((await as.parent.put('/api/me/notifications', { channel: 'pigeon' })).status).toBe(400);

    const { body: request } = await as.parent.post('/api/requests', { category: 'transport', subject: CASE_TEXT.subject, message: CASE_TEXT.message });
    // A later request of theirs, told, proves the worker had reached this one.
    expect((await as.parent.put('/api/me/notifications', { channel: 'email' })).status).toBe(200);
    const { body: later } = await as.parent.post('/api/requests', { category: 'transport', subject: CASE_TEXT.subject, message: CASE_TEXT.message });
    await mailSaying(later.reference, 'We have your request');
    expect(familyMails(request.reference)).toEqual([]);
  }, 60_000);
});
