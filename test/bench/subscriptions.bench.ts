/**
 * What a process's live SQLite subscriptions cost per new event (issue 8, ADR 0024): the worker's
 * four (projections, timers, notification dispatcher, family notifications, with their filters)
 * tail one store while another process appends attempts, as the api does. Measures the reading
 * process's CPU per appended event, with the shared tail (default) and without it (tailEvents 0:
 * each subscription queries and parses for itself), alternately.
 *
 *   npm run bench:subscriptions
 *
 * Options (env): BENCH_SUBS_EVENTS (appended per run, default 20000), BENCH_SUBS_RATE (appends a
 * second, default 2500), BENCH_SUBS_ROUNDS (runs of each mode, default 3), BENCH_SUBS_MODES (default
 * shared,own).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import { REQUEST_STREAM_PREFIX, USER_STREAM_PREFIX } from '@send/domain';
import { SqliteEventStore, type SubscriptionFilter } from '@send/event-store';
import { PROJECTED_STREAM_PREFIXES } from '@send/read-models';

const EVENTS = Number(process.env.BENCH_SUBS_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_SUBS_RATE ?? 2500);
const ROUNDS = Number(process.env.BENCH_SUBS_ROUNDS ?? 3);
const MODES = (
  [
    ['shared', undefined],
    ['own', 0],
  ] as const
).filter(([mode]) => (process.env.BENCH_SUBS_MODES ?? 'shared,own').split(',').includes(mode));

/** The worker's subscriptions' filters (see the runners). */
const FILTERS: SubscriptionFilter[] = [
  { streamPrefixes: [...PROJECTED_STREAM_PREFIXES] },
  { streamPrefixes: [REQUEST_STREAM_PREFIX] },
  {
    streamPrefixes: [REQUEST_STREAM_PREFIX, USER_STREAM_PREFIX],
    eventTypes: ['EscalationRaised', 'EscalationAdvanced', 'EscalationRenotified', 'SlaBreached', 'UserInvited'],
  },
  {
    streamPrefixes: [REQUEST_STREAM_PREFIX],
    eventTypes: ['ContactRequestSubmitted', 'RequestAssigned', 'SlaBreached', 'OfficerResponded'],
  },
];

/** Taken by all four filters: the last event of a run. */
const END = 'SlaBreached';

/** The appending process: `count` attempts over 300 requests at `rate` a second, 50 at a time (the bench's connections). */
async function appender(path: string, count: number, rate: number): Promise<void> {
  const store = new SqliteEventStore({ path });
  const requests = Array.from({ length: 300 }, () => `${REQUEST_STREAM_PREFIX}${uuid()}`);
  const started = Date.now();
  for (let sent = 0; sent < count;) {
    const n = Math.min(50, count - sent);
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.append(
          requests[(sent + i) % requests.length],
          [
            {
              id: uuid(),
              type: 'AttemptRecorded',
              data: {
                attemptId: uuid(),
                channel: 'phone',
                outcome: 'no_answer',
                note: 'Rang the family, no answer; left a voicemail asking them to call back.',
                at: new Date().toISOString(),
              },
              metadata: { correlationId: uuid(), causationId: uuid(), actor: { id: uuid(), role: 'officer' } },
            },
          ],
          { expectedRevision: 'any' },
        ),
      ),
    );
    sent += n;
    const ahead = (sent / rate) * 1000 - (Date.now() - started);
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
  // The end, an event every subscription takes.
  await store.append(`${REQUEST_STREAM_PREFIX}end`, [{ id: uuid(), type: END, data: {} }], { expectedRevision: 'any' });
  await store.close();
}

/** One run: the subscriptions tail the file from its head while a child appends; the reader's CPU per event. */
async function run(path: string, tailEvents: number | undefined): Promise<number> {
  const store = new SqliteEventStore({ path, tailEvents });
  const from = await store.headPosition();
  const subs = FILTERS.map((filter) => store.subscribeToAll({ from, filter }));
  const cpu = process.cpuUsage();
  const child = fork(__filename, ['append', path, String(EVENTS), String(RATE)], { execArgv: process.execArgv });
  const childDone = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender exit ${code}`)))),
  );
  let handled = 0;
  await Promise.all(
    subs.map(async (sub) => {
      for (;;) {
        const batch = (await sub.nextBatch!(500))!;
        for (const e of batch) if (e.data) handled++;
        if (batch[batch.length - 1].type === END) return;
        await new Promise((r) => setImmediate(r)); // a handler's turn of the loop
      }
    }),
  );
  await childDone;
  const used = process.cpuUsage(cpu);
  await Promise.all(subs.map((s) => s.close()));
  await store.close();
  if (handled === 0) throw new Error('nothing handled');
  return (used.user + used.system) / EVENTS;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'append') return appender(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  const dir = mkdtempSync(join(tmpdir(), 'subscriptions-bench-'));
  try {
    const path = join(dir, 'events.sqlite');
    await appender(path, 1000, 100_000);
    const figures: Record<string, number[]> = { shared: [], own: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, tailEvents] of MODES) {
        const us = await run(path, tailEvents);
        figures[mode].push(us);
        console.log(`round ${round + 1} ${mode.padEnd(6)}: reader CPU ${us.toFixed(1)} µs/event`);
      }
    }
    const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
    console.log(
      `median reader CPU per event: shared tail ${median(figures.shared).toFixed(1)} µs, own reads ${median(figures.own).toFixed(1)} µs (${EVENTS} events at ${RATE}/s, ${FILTERS.length} subscriptions)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
