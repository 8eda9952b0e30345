import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTED_STREAM_PREFIXES, keys, PROJECTIONS_NAME } from '@send/read-models';
import type { EventStore, RecordedEvent } from '@send/event-store';
import { createStores, loadConfig } from '@send/platform';
import { AppProcess } from '../support/processes';
import { startSmtpSink } from '../support/smtp-sink';
import { apiClient, freePort } from '../support/system';
import { workloadCalls, splitConnections, type WorkloadCall } from '../bench/http/workload';
import { checkAccepted, checkAlerts, checkRebuild, mailRepeats, readAll, type Accepted } from './checks';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const redisTools = require('../../scripts/lib/redis') as {
  ensureRedisServer(log: (m: string) => void): string;
  startRedis(o: { binary: string; port: number; dir: string; persistent: boolean }): Promise<{ url: string; stop(): Promise<void> }>;
};

/**
 * Deadlines and escalation steps of seconds, round the clock, so timers fire all through a run:
 * a first response is due 4 s after a submission, an unacknowledged alert climbs after 3 s.
 */
export const PROOF_POLICY = `
calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }
sla:
  default: { firstResponse: PT4S, resolution: PT20S }
unanswered: { threshold: 3 }
escalation:
  chain:
    - { role: team_manager,    ackWithin: PT3S,   respondWithin: PT600S }
    - { role: service_manager, ackWithin: PT3S,   respondWithin: PT600S }
    - { role: head_of_service, ackWithin: PT600S, respondWithin: PT600S }
`;

/**
 * The apps' JOB_LOCK_DURATION here (production: 30 s). A timer or delivery job that was running in
 * a killed worker runs again only once BullMQ finds it stalled: its lock has expired (up to this
 * after the kill) and a stalled check has seen it in two turns (checks every this long), so within
 * about three times this. At 30 s a timer due during the kill fired up to 90 s late, past what the
 * checks allow a due timer (8 s grace, retried for 30 s); at 5 s it fires within about 15 s, which
 * the retried check covers. Shorter would let a worker whose event loop is busy for this long (a
 * loaded 2-core machine) lose the lock of a job it is still running.
 */
export const PROOF_JOB_LOCK_MS = 5_000;

/**
 * How old an alert must be before its email must have arrived: the worker restarted (up to about
 * 10 s under load), the delivery job found stalled (3 x PROOF_JOB_LOCK_MS), and one retry's backoff
 * (30 s) when the SMTP send itself failed.
 */
export const MAIL_GRACE_MS = 10_000 + 3 * PROOF_JOB_LOCK_MS + 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CheckReport {
  accepted: number;
  events: number;
  mails: number;
  readModelKeys: number;
  problems: { accepted: string[]; alerts: string[]; rebuild: string[] };
  /** The same message (one Message-ID) received more than once: not a failure (ADR 0019), shown beside the checks. */
  repeats: string[];
  /** How long after the load every standing alert had its email (or the deadline passed). */
  alertsSettledMs: number;
}

/**
 * The built api and worker as separate processes (each can be killed alone), on a SQLite file, a
 * redis-server of their own that can be restarted on the same port, and an SMTP sink for the alert
 * emails; DEMO accounts; PROOF_POLICY. `pointFor` sets FAULT_PAUSE_AT for the next start of an app.
 */
export class ProofSystem {
  readonly dir = mkdtempSync(join(tmpdir(), 'send-proof-'));
  env!: Record<string, string>;
  api!: AppProcess;
  worker!: AppProcess;
  smtp!: Awaited<ReturnType<typeof startSmtpSink>>;
  redisServer!: { url: string; stop(): Promise<void> };
  redisPort = 0;
  tokens!: { parent: string; officer: string };
  /** Requests the attempts and responses work on (grows with accepted submissions, to `maxPool`). */
  readonly pool: string[] = [];
  baseUrl = '';
  private store: EventStore | null = null;

  constructor(private readonly log: (m: string) => void = () => undefined) {}

  async start(points: { api?: string; worker?: string } = {}): Promise<void> {
    writeFileSync(join(this.dir, 'policy.yaml'), PROOF_POLICY);
    this.redisPort = await freePort();
    [this.smtp] = await Promise.all([startSmtpSink(), this.startRedis()]);
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: this.redisServer.url,
      SQLITE_PATH: join(this.dir, 'events.db'),
      EVENT_STORE: 'sqlite',
      POLICY_FILE: join(this.dir, 'policy.yaml'),
      SMTP_URL: this.smtp.url,
      NOTIFY_API_KEY: '',
      WEBHOOK_URL: '',
      DEMO: 'true',
      DEMO_DATA: 'false',
      DEMO_PASSWORD: 'demo',
      JWT_SECRET: randomBytes(24).toString('hex'),
      // Lost timers (Redis restarted or flushed) come back within 2 s.
      TIMER_RECONCILE_EVERY: '2000',
      // A killed worker's jobs run again within about 15 s (PROOF_JOB_LOCK_MS).
      JOB_LOCK_DURATION: String(PROOF_JOB_LOCK_MS),
      LOG_LEVEL: process.env.PROOF_LOG_LEVEL ?? 'warn',
    };
    await this.startApp('api', points.api);
    await this.startApp('worker', points.worker);
    const client = apiClient(this.baseUrl);
    this.tokens = { parent: await client.login('parent@example.org'), officer: await client.login('officer@example.org') };
  }

  async startRedis(): Promise<void> {
    this.redisServer = await redisTools.startRedis({
      binary: redisTools.ensureRedisServer(() => undefined),
      port: this.redisPort,
      dir: join(this.dir, 'redis'),
      persistent: false,
    });
  }

  /** (Re)starts an app; `point` arms nothing yet: it names the FAULT_PAUSE_AT seam that creating armFile(app) arms. */
  async startApp(app: 'api' | 'worker', point?: string): Promise<AppProcess> {
    const proc = new AppProcess(app, { ...this.env, ...(point ? { FAULT_PAUSE_AT: point, FAULT_ARM_FILE: this.armFile(app) } : {}) });
    // Under load on a small machine a start can take a while.
    await proc.start((out) => out.includes(app === 'api' ? 'api listening' : 'worker running'), 90_000);
    if (app === 'api') this.api = proc;
    else this.worker = proc;
    return proc;
  }

  /** The file that arms an app's FAULT_PAUSE_AT seam (libs/event-store/src/fault-seam.ts). */
  armFile(app: 'api' | 'worker'): string {
    return join(this.dir, `arm-${app}`);
  }

  /** The bench's mixed workload over `connections`, on this system's pool. */
  workload(connections: number): WorkloadCall[] {
    const calls = workloadCalls({ pool: this.pool, getIds: this.pool, parentToken: this.tokens.parent, officerToken: this.tokens.officer });
    const split = splitConnections(connections);
    return (Object.keys(split) as Array<keyof typeof split>).map((k) => calls[k](split[k]));
  }

  /** Submits `n` requests to start the pool with. */
  async fillPool(n: number): Promise<void> {
    const parent = apiClient(this.baseUrl).as(this.tokens.parent);
    for (let i = 0; i < n; i++) {
      const res = await parent.post('/api/requests', { category: 'transport', subject: 'Transport', message: 'No taxi this week.' });
      if (res.status !== 201) throw new Error(`submission: ${res.status} ${JSON.stringify(res.body)}`);
      this.pool.push(res.body.id);
    }
  }

  /** The store as the apps open it: the same settings, so personal data reads decrypted as they read it. */
  eventStore(): EventStore {
    this.store ??= createStores(loadConfig(this.env)).store;
    return this.store;
  }

  /** Waits until the projections checkpoint reaches the store's last projected event. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const redis = new Redis(this.env.REDIS_URL, { maxRetriesPerRequest: 3 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const events = await readAll(this.eventStore());
        const head = lastProjected(events);
        const at = BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0');
        if (at >= head) return;
        if (Date.now() > deadline)
          throw new Error(`projections at ${at}, the store's last projected event at ${head}, after ${timeoutMs} ms`);
        await sleep(250);
      }
    } finally {
      redis.disconnect();
    }
  }

  /**
   * The three checks once the system has settled. The alert check is retried for up to
   * `alertsWithinMs` (timers and emails arrive on their own time), with `graceMs` for a due timer
   * and `mailGraceMs` for an alert's email (newer alerts are checked by a later call).
   */
  async check(
    accepted: Accepted[],
    options: { alertsWithinMs?: number; graceMs?: number; mailGraceMs?: number } = {},
  ): Promise<CheckReport> {
    await this.settle();
    const started = Date.now();
    const deadline = started + (options.alertsWithinMs ?? 30_000);
    let events: RecordedEvent[];
    let alerts: string[];
    let told = started;
    for (;;) {
      events = await readAll(this.eventStore());
      alerts = checkAlerts(events, this.smtp.mails, {
        now: new Date(),
        graceMs: options.graceMs ?? 8_000,
        mailGraceMs: options.mailGraceMs ?? MAIL_GRACE_MS,
      });
      if (alerts.length === 0 || Date.now() > deadline) break;
      if (Date.now() - told >= 15_000) {
        told = Date.now();
        this.log(
          `${alerts.length} standing alert(s) not emailed yet, ${this.smtp.mails.length} emails so far (${Math.round((told - started) / 1000)} s)...`,
        );
      }
      await sleep(1000);
    }
    const alertsSettledMs = Date.now() - started;
    await this.settle();
    const rebuild = await checkRebuild(this.eventStore(), this.env.REDIS_URL);
    return {
      accepted: accepted.length,
      events: events.length,
      mails: this.smtp.mails.length,
      readModelKeys: rebuild.keys,
      problems: { accepted: checkAccepted(events, accepted), alerts, rebuild: rebuild.problems },
      repeats: mailRepeats(this.smtp.mails),
      alertsSettledMs,
    };
  }

  /**
   * What a failed alert check needs to be understood: the queues' counts, the checkpoints against
   * the store's head, and, for a few alerts never emailed, their delivery jobs as Redis holds them.
   */
  async diagnose(report: CheckReport): Promise<string> {
    const redis = new Redis(this.env.REDIS_URL, { maxRetriesPerRequest: 3 });
    try {
      const lines: string[] = [];
      for (const q of ['notifications', 'family-notifications', 'timers']) {
        const b = `bull:${q}:`;
        const [[, wait], [, active], [, delayed], [, prioritized], [, failed], [, completed]] = (await redis
          .pipeline()
          .llen(`${b}wait`)
          .llen(`${b}active`)
          .zcard(`${b}delayed`)
          .zcard(`${b}prioritized`)
          .zcard(`${b}failed`)
          .zcard(`${b}completed`)
          .exec())!;
        lines.push(
          `queue ${q}: wait ${wait}, active ${active}, delayed ${delayed}, prioritized ${prioritized}, failed ${failed}, completed ${completed}`,
        );
        for (const id of (await redis.zrange(`${b}failed`, -3, -1)) as string[])
          lines.push(`  failed ${id}: ${(await redis.hget(`${b}${id}`, 'failedReason'))?.slice(0, 200)}`);
      }
      const events = await readAll(this.eventStore());
      const cps = await redis.mget('checkpoint:notifications', 'checkpoint:family-notifications', keys.checkpoint(PROJECTIONS_NAME));
      lines.push(`store head ${events.at(-1)?.position}; checkpoints notifications ${cps[0]}, family ${cps[1]}, projections ${cps[2]}`);
      const missing = report.problems.alerts.map((p) => / (\S+) \(still standing\) was never emailed/.exec(p)?.[1]).filter(Boolean);
      for (const id of missing.slice(0, 3)) {
        const [, found] = await redis.scan('0', 'MATCH', `bull:notifications:${id}|*`, 'COUNT', 100_000);
        const jobs = await Promise.all(
          found.map(
            async (k) =>
              `${k.slice(19)} ${JSON.stringify(await redis.hmget(k, 'finishedOn', 'failedReason', 'attemptsMade', 'progress', 'processedOn', 'stc'))}`,
          ),
        );
        const event = events.find((e) => e.id === id);
        lines.push(
          `  never emailed ${id} (${event?.type} at ${event?.position}, ${event?.recordedAt.toISOString()}): ${jobs.length ? jobs.join('; ') : 'no delivery job in Redis'}`,
        );
      }
      const tail = (out: string | undefined) =>
        (out ?? '')
          .split('\n')
          .filter((l) => /warn|error|fail/i.test(l))
          .slice(-12)
          .map((l) => `    ${l.slice(0, 300)}`);
      lines.push('worker warnings and errors (last 12):', ...tail(this.worker?.output()));
      return lines.map((l) => `  | ${l}`).join('\n');
    } catch (error) {
      return `  | diagnosis failed: ${String(error)}`;
    } finally {
      redis.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.store?.close().catch(() => undefined);
    await Promise.all([this.api?.stop(), this.worker?.stop()]);
    await Promise.all([this.redisServer?.stop().catch(() => undefined), this.smtp?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function lastProjected(events: RecordedEvent[]): bigint {
  for (let i = events.length - 1; i >= 0; i--)
    if (PROJECTED_STREAM_PREFIXES.some((p) => events[i].streamId.startsWith(p))) return events[i].position;
  return 0n;
}

export const problemCount = (r: CheckReport) => r.problems.accepted.length + r.problems.alerts.length + r.problems.rebuild.length;

/** The problems of a report, a few of each kind, for a log. */
export function describeProblems(r: CheckReport, each = 5): string {
  return (['accepted', 'alerts', 'rebuild'] as const)
    .filter((k) => r.problems[k].length)
    .map(
      (k) =>
        `  ${k}: ${r.problems[k].length} problem(s)\n${r.problems[k]
          .slice(0, each)
          .map((p) => `    - ${p}`)
          .join('\n')}`,
    )
    .join('\n');
}
