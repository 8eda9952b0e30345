/**
 * Event store benchmark (SQLite adapter), after the method of the Event Store Benchmark Suite:
 * many small streams with a few hot ones (Zipf), one event per command, beside a raw
 * better-sqlite3 insert loop on the same machine, same schema, same pragmas.
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/event-store.bench.ts
 *
 * Options (env): BENCH_SECONDS (per timed phase, default 3), BENCH_SYNCHRONOUS (full | normal,
 * default full, the store's default). Speed targets live here only, never in tests.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { v4 as uuid } from 'uuid';
import { SQLITE_SCHEMA, SqliteEventStore, type EventData, type RecordedEvent } from '@send/event-store';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SYNCHRONOUS = (process.env.BENCH_SYNCHRONOUS ?? 'full') as 'full' | 'normal';
const STREAMS = 10_000;
const WRITERS = 8;

const dir = mkdtempSync(join(tmpdir(), 'event-store-bench-'));
const lines: string[] = [];

/** Zipf(s = 1) over 1..n by inverse CDF on a precomputed table: a few hot streams, a long tail. */
function zipf(n: number, s = 1): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += 1 / k ** s;
  for (let k = 0; k < n; k++) cdf[k] /= sum;
  return () => {
    const u = Math.random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
const pick = zipf(STREAMS);

const payload = () => ({
  requestId: uuid(),
  channel: 'phone',
  outcome: 'unanswered',
  at: new Date().toISOString(),
  source: 'portal',
  note: 'Called the SEND office again about the EHC needs assessment; no answer.',
});
const metadata = { correlationId: uuid(), causationId: uuid(), actor: { id: 'parent-1', role: 'parent' } };
const event = (type = 'ContactAttemptRecorded'): EventData => ({ id: uuid(), type, data: payload(), metadata });

function report(name: string, value: number, unit: string, target?: { value: number; text: string; higherIsBetter?: boolean }) {
  const v = value >= 100 ? Math.round(value).toLocaleString('en-GB') : value.toFixed(2);
  let line = `${name.padEnd(52)} ${v.padStart(12)} ${unit.padEnd(9)}`;
  if (target) {
    const ratio = target.higherIsBetter === false ? target.value / value : value / target.value;
    const ok = ratio >= 1;
    line += ` target ${target.text.padEnd(34)} ratio ${ratio.toFixed(2).padStart(6)} ${ok ? 'OK' : 'MISSED'}`;
  }
  lines.push(line);
  console.log(line);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Raw better-sqlite3: same schema and pragmas, no adapter. */
function rawBaseline(): { perTx: number; bigTx: number } {
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${SYNCHRONOUS.toUpperCase()}`);
  db.exec(SQLITE_SCHEMA);
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const revisions = new Int32Array(STREAMS).fill(-1);
  const row = () => {
    const k = pick();
    revisions[k] += 1;
    return [
      uuid(),
      `contact-request-${k}`,
      revisions[k],
      'ContactAttemptRecorded',
      JSON.stringify(payload()),
      JSON.stringify(metadata),
      new Date().toISOString(),
    ] as const;
  };
  const one = db.transaction(() => insert.run(...row()));
  for (let i = 0; i < 300; i++) one(); // warm-up
  let n = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) one();
    n += 50;
  }
  const perTx = n / ((performance.now() - start) / 1000);

  const BIG = 100_000;
  const big = db.transaction(() => {
    for (let i = 0; i < BIG; i++) insert.run(...row());
  });
  const t0 = performance.now();
  big();
  const bigTx = BIG / ((performance.now() - t0) / 1000);
  db.close();
  return { perTx, bigTx };
}

async function timed(seconds: number, work: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let n = 0;
  while (performance.now() < deadline) n += await work();
  return n / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  console.log(
    `Event store benchmark: SQLite adapter, synchronous=${SYNCHRONOUS}, ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}`,
  );
  console.log(`${STREAMS.toLocaleString('en-GB')} streams chosen by Zipf(s=1) (a few hot, a long tail); ${SECONDS} s per timed phase\n`);

  const raw = rawBaseline();
  report('raw better-sqlite3 insert, one transaction each', raw.perTx, 'rows/s');
  report('raw better-sqlite3 insert, one big transaction', raw.bigTx, 'rows/s');

  const path = join(dir, 'events.sqlite');
  const store = new SqliteEventStore({ path, synchronous: SYNCHRONOUS });
  const revisions = new Map<string, bigint>();
  const appendOne = async (streamId: string) => {
    const expected = revisions.get(streamId);
    const r = await store.append(streamId, [event()], { expectedRevision: expected ?? 'no_stream' });
    revisions.set(streamId, r.nextRevision);
    return 1;
  };

  // 1. One event per command, one writer: each append is its own transaction (nothing to batch with).
  const single = await timed(SECONDS, () => appendOne(`contact-request-${pick()}`));
  report('append, 1 event per command, 1 writer', single, 'events/s', { value: 0.25 * raw.perTx, text: '>= 25% of raw one-tx-per-insert' });

  // 2. Eight concurrent writers (async callers in one process): group commit. Each writer owns its
  //    streams so exact expected revisions hold; streams still Zipf within each writer.
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const counts = await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      let n = 0;
      while (performance.now() < deadline) n += await appendOne(`contact-request-w${w}-${pick()}`);
      return n;
    }),
  );
  const concurrent = counts.reduce((a, b) => a + b, 0) / ((performance.now() - start) / 1000);
  report(`append, 1 event per command, ${WRITERS} concurrent writers`, concurrent, 'events/s', {
    value: raw.perTx,
    text: '>= 100% of raw one-tx-per-insert',
  });
  lines.push(`${''.padEnd(52)} (vs raw one big transaction: ${((100 * concurrent) / raw.bigTx).toFixed(1)}%)`);
  console.log(lines[lines.length - 1]);

  // 3. Stream reads (Zipf: hot streams are long).
  const streams = [...revisions.keys()];
  let eventsRead = 0;
  const reads = await timed(Math.min(SECONDS, 2), async () => {
    eventsRead += (await store.read(streams[pick() % streams.length])).length;
    return 1;
  });
  report('read a stream (Zipf-chosen)', reads, 'reads/s');
  lines.push(`${''.padEnd(52)} (${(eventsRead / reads / Math.min(SECONDS, 2)).toFixed(1)} events per read on average)`);
  console.log(lines[lines.length - 1]);

  // 4. Catch-up: fill to ~100k events (batched appends, not measured), then a subscriber from the
  //    start reads everything there is.
  const fillTo = 100_000n;
  while (store.readHead() < fillTo) {
    await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        store.append(
          `contact-request-fill-${w}-${pick()}`,
          Array.from({ length: 250 }, () => event()),
          { expectedRevision: 'any' },
        ),
      ),
    );
  }
  const head = store.readHead();
  let caught = 0;
  const t0 = performance.now();
  const sub = store.subscribeToAll({ from: 'start' });
  for await (const e of sub) {
    caught++;
    if (e.position >= head) break;
  }
  const catchUp = caught / ((performance.now() - t0) / 1000);
  report(`catch-up from start (${caught.toLocaleString('en-GB')} events)`, catchUp, 'events/s', {
    value: 50_000,
    text: '>= 50,000 events/s',
  });

  // 5. Live delivery latency, same process (woken by the append itself).
  await liveLatency(
    'same process',
    store,
    async (n, gapMs) => {
      for (let i = 0; i < n; i++) {
        await store.append(
          'live-in-process',
          [{ id: uuid(), type: 'Ping', data: { sentAt: performance.timeOrigin + performance.now() } }],
          { expectedRevision: 'any' },
        );
        await sleep(gapMs);
      }
    },
    'live-in-process',
    2000,
    1,
  );

  // 6. Live delivery latency from another process on the same file (api -> worker): polling.
  await liveLatency(
    'another process (polling)',
    store,
    async (n, gapMs) => {
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            '-r',
            join(__dirname, '../../libs/event-store/src/testing/register-ts.js'),
            join(__dirname, '../../libs/event-store/src/testing/append-from-another-process.ts'),
            path,
            'live-child',
            String(n),
            String(gapMs),
          ],
          { maxBuffer: 16 * 1024 * 1024 },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    },
    'live-child',
    1000,
    3,
  );

  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function liveLatency(
  name: string,
  store: SqliteEventStore,
  produce: (n: number, gapMs: number) => Promise<void>,
  stream: string,
  n: number,
  gapMs: number,
): Promise<void> {
  const latencies: number[] = [];
  const sub = store.subscribeToAll({ from: store.readHead(), filter: { streamPrefixes: [stream] } });
  const consuming = (async () => {
    for await (const e of sub as AsyncIterable<RecordedEvent<{ sentAt: number }>>) {
      latencies.push(performance.timeOrigin + performance.now() - e.data.sentAt);
      if (latencies.length >= n) break;
    }
  })();
  await produce(n, gapMs);
  await consuming;
  latencies.sort((a, b) => a - b);
  report(`live latency p50, ${name}`, percentile(latencies, 50), 'ms');
  report(`live latency p99, ${name}`, percentile(latencies, 99), 'ms', { value: 50, text: '< 50 ms', higherIsBetter: false });
  report(`live latency p99.9, ${name}`, percentile(latencies, 99.9), 'ms');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((error) => {
  console.error(error);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
