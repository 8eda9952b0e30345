/**
 * Not a benchmark with a target: a tool for finding where an encrypted append's time goes (issue 14,
 * ADR 0016). The encryption bench's append phase alone (its workload: a family a request, 4 events,
 * 8 writers, one event an append), plain and encrypted alternating, with each thread's CPU
 * (/proc/self/task/<tid>/stat, Linux: the app's thread, the SQLite writer thread, V8's helpers,
 * which do most of the garbage collection) and the group commits' sizes. For a CPU profile of the
 * app's thread (the writer thread is started without the app's node flags), e.g.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof -r ./libs/event-store/src/testing/register-ts.js test/bench/encryption-append-profile.ts
 * PROFILE_EVENTS (default 20000), PROFILE_ROUNDS (3), PROFILE_ONLY=plain|encrypted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { v4 as uuid } from 'uuid';
import { EncryptingEventStore, SqliteDataKeyStore, SqliteEventStore, type EventData, type EventStore } from '@send/event-store';
import { PERSONAL_DATA_SCHEMA } from '@send/platform/personal-data';

const EVENTS = Number(process.env.PROFILE_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 3);
const ONLY = process.env.PROFILE_ONLY;
const WRITERS = 8;
const REQUESTS = Math.floor(EVENTS / 4);
const SECRET = 'bench-only-data-keys-secret-0123456789abcdef';

const at = () => new Date().toISOString();
function requestEvents(i: number): EventData[] {
  const requestId = uuid();
  const e = (type: string, data: Record<string, unknown>): EventData => ({
    id: uuid(),
    type,
    data: { schemaVersion: 1, ...data },
    metadata: { correlationId: uuid(), actor: { id: `parent-${i}`, role: 'parent' } },
  });
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
const workload = Array.from({ length: REQUESTS }, (_, i) => ({ stream: `contact-request-${i}`, events: requestEvents(i) }));

/** CPU ticks (user + system, 10 ms each) of each thread of this process, by thread id. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
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

async function run(encrypted: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'enc-append-profile-'));
  const path = join(dir, 'events.db');
  let transactions = 0;
  const before = new Set(threadTicks().keys());
  const raw = new SqliteEventStore({ path, synchronous: 'normal', observer: { commit: () => void transactions++ } });
  const store: EventStore = encrypted
    ? new EncryptingEventStore(raw, new SqliteDataKeyStore({ path, secret: SECRET }), PERSONAL_DATA_SCHEMA, { ownsKeys: true })
    : raw;
  // Start the writer thread before timing (its start-up is not an append's cost).
  await store.append('warm-up', [{ id: uuid(), type: 'WarmUp', data: {} }], { expectedRevision: 'any' });
  const ticks0 = threadTicks();
  // The threads the store started (its writer thread); the rest besides this one are V8's (GC, compilers).
  const writer = new Set([...ticks0.keys()].filter((tid) => !before.has(tid)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let r = next++; r < workload.length; r = next++) {
        const { stream, events } = workload[r];
        for (let k = 0; k < events.length; k++)
          await store.append(stream, [events[k]], { expectedRevision: k === 0 ? 'no_stream' : BigInt(k - 1) });
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const ticks1 = threadTicks();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const n = REQUESTS * 4;
  const perThread = { app: 0, writer: 0, v8: 0 };
  for (const [tid, ticks] of ticks1) {
    const us = ((ticks - (ticks0.get(tid) ?? 0)) * 10_000) / n;
    perThread[tid === String(process.pid) ? 'app' : writer.has(tid) ? 'writer' : 'v8'] += us;
  }
  return {
    wallUs: (wall * 1000) / n,
    cpuUs: (cpu.user + cpu.system) / n,
    perThread,
    eventsPerTx: n / transactions,
  };
}

async function main() {
  const f = (x: number) => x.toFixed(1).padStart(6);
  for (let round = 0; round < ROUNDS; round++) {
    for (const encrypted of [false, true]) {
      if (ONLY && ONLY !== (encrypted ? 'encrypted' : 'plain')) continue;
      const r = await run(encrypted);
      const t = r.perThread;
      console.log(
        `${encrypted ? 'encrypted' : 'plain    '} µs an event: wall ${f(r.wallUs)}, CPU ${f(r.cpuUs)} (app thread ${f(t.app)}, writer thread ${f(t.writer)}, V8 helpers ${f(t.v8)}); ${r.eventsPerTx.toFixed(1)} events a transaction`,
      );
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
