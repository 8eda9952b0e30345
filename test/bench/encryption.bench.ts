/**
 * Personal-data encryption benchmark (issue 14, ADR 0016): the append rate and the projection
 * (catch-up read) rate of the embedded SQLite store through the encryption layer, each as a ratio
 * of the same run without it. Target: at least 80% of the unencrypted rate.
 *
 *   npm run bench:encryption            (BENCH_EVENTS=4000 for a quick run; BENCH_ROUNDS=4 for more alternations)
 *
 * The workload judged is the worst case of the system's own: requests of four events (a submission
 * with five personal fields, a logged attempt with none, a reply and a resolution with one each),
 * every request a family of its own, so every request stream has a key of its own (a cold
 * catch-up fetches one key per request) and three events in four are sealed. A second workload,
 * informational, is the service's mix as the demo data makes it (DEMO_DATA: 545 events on 72
 * requests, a third of them personal; here ~7.7 events a request: routing, assignment, attempts, a
 * breach and its escalation on two in five, a reply on nine in ten, a resolution on seven in ten).
 * BENCH_MIX=worst or service runs one of them. Appends: 8 writers, one event per append, as
 * commands make them. Reads: a fresh store instance (cold key cache) pages through everything with
 * nextBatch, as the projector does. synchronous=normal by default (BENCH_SYNCHRONOUS=full for the
 * store's default): with an fsync per commit the disk would hide what encryption costs.
 * An informational line (no target; Linux, from /proc) splits the append phase's CPU by thread: the
 * app's (where the layer encrypts), the store's writer thread (the key rows), V8's helpers (GC).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { v4 as uuid } from 'uuid';
import { EncryptingEventStore, SqliteDataKeyStore, SqliteEventStore, type EventData, type EventStore } from '@send/event-store';
import { PERSONAL_DATA_SCHEMA } from '@send/platform/personal-data';
import Redis from 'ioredis';
import { rebuildReadModels } from '@send/read-models';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureRedisServer, startRedis, freePort } = require('../../scripts/lib/redis.js');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const SYNCHRONOUS = (process.env.BENCH_SYNCHRONOUS ?? 'normal') as 'full' | 'normal';
const WRITERS = 8;
const SECRET = 'bench-only-data-keys-secret-0123456789abcdef';
const REQUESTS = Math.max(1, Math.floor(EVENTS / 4));
const MIXES = (process.env.BENCH_MIX ?? 'worst,service').split(',').map((m) => m.trim());
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));

const at = () => new Date().toISOString();
/** An event builder for one actor: a new id and correlation id each. */
const eventBy =
  (actor: { id: string; role: string }) =>
  (type: string, data: Record<string, unknown>): EventData => ({
    id: uuid(),
    type,
    data: { schemaVersion: 1, ...data },
    metadata: { correlationId: uuid(), actor },
  });
function requestEvents(i: number): EventData[] {
  const requestId = uuid();
  const e = eventBy({ id: `parent-${i}`, role: 'parent' });
  return [
    e('ContactRequestSubmitted', {
      requestId,
      reference: `SEND-2026-${String(i).padStart(6, '0')}`,
      caseRef: `C-${1000 + (i % 500)}`,
      requester: {
        role: 'parent',
        name: `Parent ${i}`,
        email: `parent${i}@example.org`,
        phone: `+4477009${String(i % 100000).padStart(5, '0')}`,
      },
      channel: 'portal',
      category: 'ehcp',
      priority: 'normal',
      subject: 'EHC needs assessment',
      message: 'We asked for an EHC needs assessment six weeks ago and have heard nothing since; our son is not coping at school.',
      submittedAt: at(),
      due: { firstResponseAt: at(), resolutionAt: at() },
    }),
    e('ContactAttemptRecorded', {
      attemptId: uuid(),
      channel: 'phone',
      direction: 'inbound',
      outcome: 'unanswered',
      at: at(),
      source: 'portal',
    }),
    e('OfficerResponded', {
      responseId: uuid(),
      officerId: 'officer-1',
      channel: 'phone',
      summary: 'Called back: the assessment panel meets on Thursday.',
      at: at(),
      kind: 'full',
    }),
    e('RequestResolved', { by: 'officer-1', outcome: 'Assessment agreed; letter sent.', at: at() }),
  ];
}

/**
 * Request i's events as the service makes them (the demo data's proportions): submitted, routed and
 * assigned; an attempt, two on one in three; on two in five a first-response breach and its
 * escalation (raised, advanced on one in five, acknowledged, resolved); a reply on nine in ten, a
 * resolution on seven in ten. The personal events are requestEvents' own.
 */
function serviceEvents(i: number): EventData[] {
  const [submitted, attempt, responded, resolved] = requestEvents(i);
  const e = eventBy({ id: 'system', role: 'system' });
  const events = [
    submitted,
    e('RequestRouted', {
      rule: 'named_case',
      caseRef: submitted.data['caseRef'],
      teamId: 'north',
      officerId: 'officer-1',
      needsCover: false,
      by: 'system',
      at: at(),
    }),
    e('RequestAssigned', { officerId: 'officer-1', teamId: 'north', by: 'system', at: at() }),
    attempt,
  ];
  if (i % 3 === 0) events.push({ ...attempt, id: uuid(), data: { ...attempt.data, attemptId: uuid() } });
  if (i % 5 < 2) {
    const escalationId = `esc-${uuid()}-first_response-p0`;
    events.push(e('SlaBreached', { clock: 'first_response', dueAt: at(), breachedAt: at() }));
    events.push(
      e('EscalationRaised', {
        escalationId,
        level: 1,
        notifyRole: 'team_manager',
        reason: 'sla_breached',
        unansweredCount: 1,
        raisedAt: at(),
        ackDueAt: at(),
      }),
    );
    if (i % 5 === 0)
      events.push(
        e('EscalationAdvanced', {
          escalationId,
          fromLevel: 1,
          toLevel: 2,
          notifyRole: 'service_manager',
          reason: 'ack_timeout',
          at: at(),
          ackDueAt: at(),
        }),
      );
    events.push(e('EscalationAcknowledged', { escalationId, level: 1, by: 'manager-1', at: at(), respondDueAt: at() }));
    events.push(e('EscalationResolved', { escalationId, by: 'officer-1', at: at() }));
  }
  if (i % 10 !== 9) events.push(responded);
  if (i % 10 < 7) events.push(resolved);
  return events;
}

/** A workload: each request's stream and events, appended in order, requests interleaved across 8 writers. */
type Workload = { name: string; about: string; requests: { stream: string; events: EventData[] }[]; events: number };
function workloadOf(mix: string): Workload {
  const eventsOf = mix === 'service' ? serviceEvents : mix === 'worst' ? requestEvents : null;
  if (!eventsOf) throw new Error(`BENCH_MIX: unknown workload ${mix} (worst, service)`);
  const requests = Array.from({ length: REQUESTS }, (_, i) => ({ stream: `contact-request-${i}`, events: eventsOf(i) }));
  let events = 0;
  let sealed = 0;
  for (const { stream, events: all } of requests)
    for (const { type, data } of all) {
      events++;
      if (PERSONAL_DATA_SCHEMA.fieldsOf({ streamId: stream, type, data }).length > 0) sealed++;
    }
  const shape = `${(events / REQUESTS).toFixed(1)} events a request, ${Math.round((100 * sealed) / events)}% of them sealed`;
  const about = mix === 'worst' ? `worst case, judged (each request a new family: ${shape})` : `service mix, informational (${shape})`;
  return { name: mix, about, requests, events };
}

/** A phase's rate: events per second of wall time, and per second of this process's CPU time. */
type Rate = { wall: number; cpu: number };
function timed(): (events: number) => Rate {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return (events) => {
    const used = process.cpuUsage(cpu);
    return { wall: events / ((performance.now() - started) / 1000), cpu: events / ((used.user + used.system) / 1e6) };
  };
}

/** CPU ticks (user + system, 10 ms each) of each thread of this process by thread id; empty where /proc has none. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync('/proc/self/task')) return out;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** An append phase's CPU an event (µs) by thread: this one, the store's writer thread (started by the first append), V8's helpers (mostly GC). */
type ThreadCpu = { app: number; writer: number; v8: number };

async function appendAll(store: EventStore, workload: Workload, threads?: ThreadCpu): Promise<Rate> {
  const ticks = threadTicks();
  const rate = timed();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let r = next++; r < workload.requests.length; r = next++) {
        const { stream, events } = workload.requests[r];
        for (let k = 0; k < events.length; k++)
          await store.append(stream, [events[k]], { expectedRevision: k === 0 ? 'no_stream' : BigInt(k - 1) });
      }
    }),
  );
  const result = rate(workload.events);
  if (threads)
    for (const [tid, after] of threadTicks()) {
      const us = ((after - (ticks.get(tid) ?? 0)) * 10_000) / workload.events;
      threads[tid === String(process.pid) ? 'app' : ticks.has(tid) ? 'v8' : 'writer'] += us;
    }
  return result;
}

async function catchUp(store: EventStore, workload: Workload): Promise<Rate> {
  const head = await store.headPosition();
  const rate = timed();
  const sub = store.subscribeToAll({ from: 'start' });
  let count = 0;
  let chars = 0;
  try {
    for (;;) {
      const batch = await sub.nextBatch!(1000);
      if (!batch) break;
      for (const e of batch) {
        count++;
        const m = e.data['message'] ?? e.data['summary'];
        if (typeof m === 'string') chars += m.length; // use what was decrypted, as a projection would
      }
      if (batch[batch.length - 1].position >= head) break;
    }
  } finally {
    await sub.close();
  }
  if (count !== workload.events || chars === 0) throw new Error(`caught up ${count} events, expected ${workload.events}`);
  return rate(count);
}

/** The projection proper: every read model rebuilt from the store (rebuildReadModels: drop, replay, Redis writes). */
async function project(store: EventStore, redis: Redis): Promise<Rate> {
  await redis.flushdb();
  const rate = timed();
  const result = await rebuildReadModels({ store, redis, leaseTimeoutMs: 5_000 });
  return rate(result.events);
}

type Phase = 'append' | 'catchUp' | 'project';
type Rates = Record<Phase, Rate> & { appendThreads: ThreadCpu };

async function run(encrypted: boolean, redis: Redis, workload: Workload): Promise<Rates> {
  const dir = mkdtempSync(join(tmpdir(), 'encryption-bench-'));
  const path = join(dir, 'events.db');
  const open = (): EventStore => {
    const raw = new SqliteEventStore({ path, synchronous: SYNCHRONOUS });
    return encrypted
      ? new EncryptingEventStore(raw, new SqliteDataKeyStore({ path, secret: SECRET }), PERSONAL_DATA_SCHEMA, { ownsKeys: true })
      : raw;
  };
  try {
    const writer = open();
    const appendThreads: ThreadCpu = { app: 0, writer: 0, v8: 0 };
    const append = await appendAll(writer, workload, appendThreads);
    await writer.close();
    const reader = open(); // another process: nothing cached
    const catchUpRate = await catchUp(reader, workload);
    await reader.close();
    const projector = open(); // again cold
    const projectRate = await project(projector, redis);
    await projector.close();
    return { append, catchUp: catchUpRate, project: projectRate, appendThreads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const workloads = MIXES.map(workloadOf);
  console.log(
    `encryption bench: ${REQUESTS} requests a workload, ${WRITERS} writers, synchronous=${SYNCHRONOUS}, best of ${ROUNDS} rounds`,
  );
  const redisDir = mkdtempSync(join(tmpdir(), 'encryption-bench-redis-'));
  const server = await startRedis({ binary: ensureRedisServer(() => undefined), port: await freePort(), dir: redisDir, persistent: false });
  const redis = new Redis(server.url ?? `redis://127.0.0.1:${server.port}`, { maxRetriesPerRequest: 3 });
  try {
    for (const workload of workloads) {
      // Alternate, ROUNDS times each (default 2), best of them: the machine is shared, and the first run warms the JIT.
      const plain: Rates[] = [];
      const enc: Rates[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        plain.push(await run(false, redis, workload));
        enc.push(await run(true, redis, workload));
      }
      report(workload, plain, enc);
    }
  } finally {
    await redis.quit();
    await server.stop();
    rmSync(redisDir, { recursive: true, force: true });
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

function report(workload: Workload, plain: Rates[], enc: Rates[]): void {
  const judged = workload.name === 'worst';
  console.log(`\n${workload.events} events: ${workload.about}`);
  const best = (runs: Rates[], k: Phase, of: keyof Rate) => Math.max(...runs.map((r) => r[k][of]));
  const names: Record<Phase, string> = {
    append: 'append (events/s)',
    catchUp: 'catch-up read, bare (events/s)',
    project: 'projection: rebuild all read models',
  };
  const n = (x: number) => Math.round(x).toLocaleString('en-GB').padStart(9);
  for (const k of ['append', 'catchUp', 'project'] as const) {
    const p = best(plain, k, 'wall');
    const e = best(enc, k, 'wall');
    const ratio = e / p;
    // Per CPU second too: on a shared machine the wall rate moves with the neighbours' load, the
    // CPU the process itself spent much less (SQLite's waits for the disk are not in it).
    const cpuRatio = best(enc, k, 'cpu') / best(plain, k, 'cpu');
    const verdict = !judged ? '(information)' : ratio >= 0.8 ? 'OK (target >= 0.80)' : 'MISSED (target >= 0.80)';
    console.log(
      `${names[k].padEnd(36)} plain ${n(p)}  encrypted ${n(e)}  ratio ${ratio.toFixed(2)} ${verdict}; per CPU second ${n(best(plain, k, 'cpu'))} / ${n(
        best(enc, k, 'cpu'),
      )} = ${cpuRatio.toFixed(2)}`,
    );
  }
  // Informational, no target: where an append's CPU goes, the least of the rounds for each thread.
  const least = (runs: Rates[], t: keyof ThreadCpu) => Math.min(...runs.map((r) => r.appendThreads[t])).toFixed(1);
  if (plain[0].appendThreads.app > 0)
    console.log(
      `append CPU an event by thread, µs (informational): plain app ${least(plain, 'app')}, writer ${least(plain, 'writer')}, V8 helpers ${least(plain, 'v8')}; ` +
        `encrypted app ${least(enc, 'app')}, writer ${least(enc, 'writer')}, V8 helpers ${least(enc, 'v8')}`,
    );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
