/**
 * Event store benchmark (SQLite and PostgreSQL adapters), after the method of the Event Store Benchmark Suite:
 * many small streams with a few hot ones (Zipf), one event per command, beside a raw
 * better-sqlite3 insert loop on the same machine, same schema, same pragmas. PostgreSQL (ADR 0012)
 * beside raw `pg` on the same server in the same run: inserts into a plain table (1 and 8
 * connections), a keyset-paged scan of it, and an insert + NOTIFY round trip; each figure of the
 * adapter is given as a ratio of its raw counterpart.
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/event-store.bench.ts
 *
 * Options (env): BENCH_SECONDS (per timed phase, default 3), BENCH_SYNCHRONOUS (full | normal,
 * default full, the store's default), BENCH_SQLITE_WRITER (thread | inline, default thread, the
 * store's default for a file: where its group commits run, ADR 0018), BENCH_STORES (sqlite,postgres by default), POSTGRES_URL (else a
 * throwaway cluster with PostgreSQL's durable defaults, fsync on, is started for the run; skipped
 * when PostgreSQL is not installed). Speed targets live here only, never in tests.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { v4 as uuid } from 'uuid';
import { Client, Pool } from 'pg';
import { machineClockMs, SQLITE_SCHEMA, SqliteEventStore, type EventData, type EventStore, type RecordedEvent } from '@send/event-store';
import { PostgresEventStore } from '@send/event-store/postgres/postgres-event-store';
import { emitFigure, emitOptions } from './results';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SYNCHRONOUS = (process.env.BENCH_SYNCHRONOUS ?? 'full') as 'full' | 'normal';
const SQLITE_WRITER = (process.env.BENCH_SQLITE_WRITER ?? 'thread') as 'thread' | 'inline';
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const STREAMS = 10_000;
const WRITERS = 8;

const dir = mkdtempSync(join(tmpdir(), 'event-store-bench-'));
const lines: string[] = [];
/** The store being measured, for the results file ('SQLite', 'PostgreSQL'). */
let section = 'SQLite';

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

/**
 * `ofRaw`: the target is raw PostgreSQL itself, a ceiling: the ratio is the figure, with no verdict.
 * `baselines`: the raw figures (names given to report) this one is set against in the results file;
 * a figure whose name starts with `raw ` is a baseline itself.
 */
function report(
  name: string,
  value: number,
  unit: string,
  target?: { value: number; text: string; higherIsBetter?: boolean; ofRaw?: boolean },
  baselines?: string[],
) {
  emitFigure({
    bench: 'event-store',
    section,
    figure: name,
    value,
    unit,
    higherIsBetter: unit !== 'ms',
    isBaseline: name.startsWith('raw ') || undefined,
    baselines,
    target: target && !target.ofRaw ? { value: target.value, text: target.text } : undefined,
  });
  const v = value >= 100 ? Math.round(value).toLocaleString('en-GB') : value.toFixed(2);
  let line = `${name.padEnd(52)} ${v.padStart(12)} ${unit.padEnd(9)}`;
  if (target) {
    const ratio = target.higherIsBetter === false ? target.value / value : value / target.value;
    const ok = ratio >= 1;
    line += ` ${target.ofRaw ? 'vs' : 'target'} ${target.text.padEnd(34)} ratio ${ratio.toFixed(2).padStart(6)}${target.ofRaw ? '' : ok ? ' OK' : ' MISSED'}`;
  }
  lines.push(line);
  console.log(line);
}

const RAW_NOTIFY = 'raw pg insert + NOTIFY -> LISTEN p50';

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
  emitOptions('event-store', {
    BENCH_SECONDS: SECONDS,
    BENCH_SYNCHRONOUS: SYNCHRONOUS,
    BENCH_SQLITE_WRITER: SQLITE_WRITER,
    BENCH_STORES: STORES.join(','),
    streams: STREAMS,
    writers: WRITERS,
    BENCH_PG_EVENTS: Number(process.env.BENCH_PG_EVENTS ?? 50_000),
  });
  if (STORES.includes('sqlite')) await sqliteBench();
  if (STORES.includes('postgres')) await postgresBench();
  rmSync(dir, { recursive: true, force: true });
}

async function sqliteBench(): Promise<void> {
  console.log(
    `Event store benchmark: SQLite adapter, synchronous=${SYNCHRONOUS}, writer=${SQLITE_WRITER}, ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}`,
  );
  console.log(`${STREAMS.toLocaleString('en-GB')} streams chosen by Zipf(s=1) (a few hot, a long tail); ${SECONDS} s per timed phase\n`);

  section = 'SQLite';
  const raw = rawBaseline();
  const RAW_ONE = 'raw better-sqlite3 insert, one transaction each';
  const RAW_BIG = 'raw better-sqlite3 insert, one big transaction';
  report(RAW_ONE, raw.perTx, 'rows/s');
  report(RAW_BIG, raw.bigTx, 'rows/s');

  const path = join(dir, 'events.sqlite');
  const store = new SqliteEventStore({ path, synchronous: SYNCHRONOUS, writer: SQLITE_WRITER });
  const revisions = new Map<string, bigint>();
  const appendOne = async (streamId: string) => {
    const expected = revisions.get(streamId);
    const r = await store.append(streamId, [event()], { expectedRevision: expected ?? 'no_stream' });
    revisions.set(streamId, r.nextRevision);
    return 1;
  };

  // 1. One event per command, one writer: each append is its own transaction (nothing to batch with).
  const single = await timed(SECONDS, () => appendOne(`contact-request-${pick()}`));
  report(
    'append, 1 event per command, 1 writer',
    single,
    'events/s',
    { value: 0.25 * raw.perTx, text: '>= 25% of raw one-tx-per-insert' },
    [RAW_ONE],
  );

  // 2. Eight concurrent writers (async callers in one process): group commit. Each writer owns its
  //    streams so exact expected revisions hold; streams still Zipf within each writer. Meanwhile,
  //    how long the event loop is held (what an HTTP request arriving then waits): the commits'
  //    fsyncs hold it with writer=inline, not with writer=thread.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
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
  report(
    `append, 1 event per command, ${WRITERS} concurrent writers`,
    concurrent,
    'events/s',
    { value: raw.perTx, text: '>= 100% of raw one-tx-per-insert' },
    [RAW_ONE, RAW_BIG],
  );
  lines.push(`${''.padEnd(52)} (vs raw one big transaction: ${((100 * concurrent) / raw.bigTx).toFixed(1)}%)`);
  console.log(lines[lines.length - 1]);
  loopDelay.disable();
  report('event loop delay p99, 8 concurrent writers', loopDelay.percentile(99) / 1e6, 'ms');
  report('event loop delay max, 8 concurrent writers', loopDelay.max / 1e6, 'ms');

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
        await store.append('live-in-process', [{ id: uuid(), type: 'Ping', data: { sentAt: machineClockMs() } }], {
          expectedRevision: 'any',
        });
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
}

async function liveLatency(
  name: string,
  store: EventStore,
  produce: (n: number, gapMs: number) => Promise<void>,
  stream: string,
  n: number,
  gapMs: number,
  baselineP50?: number,
): Promise<void> {
  const latencies: number[] = [];
  const sub = store.subscribeToAll({ from: await store.headPosition(), filter: { streamPrefixes: [stream] } });
  const consuming = (async () => {
    for await (const e of sub as AsyncIterable<RecordedEvent<{ sentAt: number }>>) {
      latencies.push(machineClockMs() - e.data.sentAt);
      if (latencies.length >= n) break;
    }
  })();
  await produce(n, gapMs);
  await consuming;
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  if (baselineP50 === undefined) report(`live latency p50, ${name}`, p50, 'ms');
  else
    report(
      `live latency p50, ${name}`,
      p50,
      'ms',
      { value: baselineP50, text: `raw insert+NOTIFY p50 ${baselineP50.toFixed(2)} ms`, higherIsBetter: false, ofRaw: true },
      [RAW_NOTIFY],
    );
  report(`live latency p99, ${name}`, percentile(latencies, 99), 'ms', { value: 50, text: '< 50 ms', higherIsBetter: false });
  report(`live latency p99.9, ${name}`, percentile(latencies, 99.9), 'ms');
}

/**
 * PostgreSQL: the adapter beside raw `pg` on the same server. Each ratio is adapter / raw (for
 * latency raw / adapter), so 1.00 means "as fast as PostgreSQL itself with no event store".
 */
async function postgresBench(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { findPostgresBin, startPostgres, INSTALL_HINT } = require('../../scripts/lib/postgres');
  let url = process.env.POSTGRES_URL;
  let server: { url: string; stop(): Promise<void> } | null = null;
  if (!url) {
    if (!findPostgresBin()) {
      console.log(`\nPostgreSQL SKIPPED: not installed (${INSTALL_HINT}) and POSTGRES_URL not set`);
      return;
    }
    server = await startPostgres({ durable: true });
    url = server!.url;
  }
  section = 'PostgreSQL';
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const { rows: settings } = await admin.query<{ version: string; fsync: string; commit: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS commit",
  );
  const { version, fsync, commit } = settings[0];
  console.log(
    `\nEvent store benchmark: PostgreSQL ${version} adapter (${server ? 'throwaway cluster' : 'POSTGRES_URL'}, fsync=${fsync}, synchronous_commit=${commit}), pool of ${WRITERS + 2}; ${SECONDS} s per timed phase\n`,
  );
  const schema = `bench_${process.pid}`;
  await admin.query(`DROP SCHEMA IF EXISTS ${schema}_raw CASCADE; CREATE SCHEMA ${schema}_raw`);
  await admin.query(
    `CREATE TABLE ${schema}_raw.events (position bigserial PRIMARY KEY, id text NOT NULL UNIQUE, stream_id text NOT NULL, revision bigint NOT NULL,
       type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, revision))`,
  );
  const pool = new Pool({ connectionString: url, max: WRITERS });
  const rawRevisions = new Int32Array(STREAMS * (WRITERS + 1)).fill(-1);
  const rawInsert = (k: number) => {
    rawRevisions[k] += 1;
    return pool.query(`INSERT INTO ${schema}_raw.events (id, stream_id, revision, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)`, [
      uuid(),
      `contact-request-${k}`,
      rawRevisions[k],
      'ContactAttemptRecorded',
      JSON.stringify(payload()),
      JSON.stringify(metadata),
    ]);
  };
  const rawOne = await timed(SECONDS, async () => {
    await rawInsert(pick());
    return 1;
  });
  const RAW_PG_ONE = 'raw pg insert, autocommit, 1 connection';
  const RAW_PG_MANY = `raw pg insert, autocommit, ${WRITERS} connections`;
  report(RAW_PG_ONE, rawOne, 'rows/s');
  const rawStart = performance.now();
  const rawDeadline = rawStart + SECONDS * 1000;
  const rawCounts = await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      let n = 0;
      while (performance.now() < rawDeadline) {
        await rawInsert((w + 1) * STREAMS + pick());
        n++;
      }
      return n;
    }),
  );
  const rawMany = rawCounts.reduce((a, b) => a + b, 0) / ((performance.now() - rawStart) / 1000);
  report(RAW_PG_MANY, rawMany, 'rows/s');

  const store = new PostgresEventStore({ url, schema, poolSize: WRITERS + 2 });
  const revisions = new Map<string, bigint>();
  const appendOne = async (streamId: string) => {
    const r = await store.append(streamId, [event()], { expectedRevision: revisions.get(streamId) ?? 'no_stream' });
    revisions.set(streamId, r.nextRevision);
    return 1;
  };
  await store.ping();
  const single = await timed(SECONDS, () => appendOne(`contact-request-${pick()}`));
  report('append, 1 event per command, 1 writer', single, 'events/s', { value: rawOne, text: 'raw insert, 1 connection', ofRaw: true }, [
    RAW_PG_ONE,
  ]);
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
  report(
    `append, 1 event per command, ${WRITERS} concurrent writers`,
    concurrent,
    'events/s',
    { value: rawMany, text: `raw insert, ${WRITERS} connections`, ofRaw: true },
    [RAW_PG_MANY],
  );

  // Catch-up: fill both tables to the same size (not measured), then read everything from the start.
  const fillTo = Number(process.env.BENCH_PG_EVENTS ?? 50_000);
  const filler = { data: JSON.stringify(payload()), metadata: JSON.stringify(metadata) };
  while (Number(await countRows(admin, `${schema}.events`)) < fillTo) {
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
  const total = Number(await countRows(admin, `${schema}.events`));
  await admin.query(`TRUNCATE ${schema}_raw.events`);
  for (let i = 0; i < total; i += 1000) {
    const n = Math.min(1000, total - i);
    await admin.query(
      `INSERT INTO ${schema}_raw.events (id, stream_id, revision, type, data, metadata)
       SELECT gen_random_uuid()::text, 'fill-' || $1 || '-' || g, 0, 'ContactAttemptRecorded', $2::jsonb, $3::jsonb FROM generate_series(1, $4) g`,
      [i, filler.data, filler.metadata, n],
    );
  }
  let rawRead = 0;
  const r0 = performance.now();
  for (let after = 0n; ;) {
    const { rows } = await pool.query<{ position: string; data: unknown }>(
      `SELECT position, id, stream_id, revision, type, data, metadata, recorded_at FROM ${schema}_raw.events WHERE position > $1 ORDER BY position LIMIT 1000`,
      [String(after)],
    );
    if (rows.length === 0) break;
    rawRead += rows.length;
    for (const row of rows) BigInt(row.position);
    after = BigInt(rows[rows.length - 1].position);
  }
  const rawCatchUp = rawRead / ((performance.now() - r0) / 1000);
  const RAW_SCAN = `raw pg keyset scan, pages of 1000 (${rawRead.toLocaleString('en-GB')} rows)`;
  report(RAW_SCAN, rawCatchUp, 'rows/s');
  const head = await store.headPosition();
  let caught = 0;
  const t0 = performance.now();
  for await (const e of store.subscribeToAll({ from: 'start' })) {
    caught++;
    if (e.position >= head) break;
  }
  const catchUp = caught / ((performance.now() - t0) / 1000);
  report(
    `catch-up from start (${caught.toLocaleString('en-GB')} events)`,
    catchUp,
    'events/s',
    { value: rawCatchUp, text: 'raw keyset scan', ofRaw: true },
    [RAW_SCAN],
  );

  // Live: raw insert + NOTIFY on one connection, LISTEN on another, as the floor.
  const listener = new Client({ connectionString: url });
  await listener.connect();
  await listener.query(`LISTEN ${schema}_raw_ping`);
  const rawLatencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const sentAt = performance.now();
    const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
    await pool.query(
      `WITH ins AS (INSERT INTO ${schema}_raw.events (id, stream_id, revision, type, data, metadata) VALUES ($1, 'live-raw', $2, 'Ping', '{}', '{}') RETURNING position)
       SELECT pg_notify('${schema}_raw_ping', position::text) FROM ins`,
      [uuid(), i],
    );
    await heard;
    rawLatencies.push(performance.now() - sentAt);
    await sleep(1);
  }
  await listener.end();
  rawLatencies.sort((a, b) => a - b);
  const rawP50 = percentile(rawLatencies, 50);
  report(RAW_NOTIFY, rawP50, 'ms');

  await liveLatency(
    'PostgreSQL, same process (NOTIFY)',
    store,
    async (n, gapMs) => {
      for (let i = 0; i < n; i++) {
        await store.append('live-pg', [{ id: uuid(), type: 'Ping', data: { sentAt: machineClockMs() } }], {
          expectedRevision: 'any',
        });
        await sleep(gapMs);
      }
    },
    'live-pg',
    300,
    1,
    rawP50,
  );
  const other = new PostgresEventStore({ url, schema, poolSize: 2 });
  await liveLatency(
    'PostgreSQL, another instance (NOTIFY)',
    store,
    async (n, gapMs) => {
      for (let i = 0; i < n; i++) {
        await other.append('live-pg-other', [{ id: uuid(), type: 'Ping', data: { sentAt: machineClockMs() } }], {
          expectedRevision: 'any',
        });
        await sleep(gapMs);
      }
    },
    'live-pg-other',
    300,
    1,
    rawP50,
  );
  await other.close();
  await store.close();
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE; DROP SCHEMA ${schema}_raw CASCADE`);
  await admin.end();
  await server?.stop();
}

async function countRows(client: Client, table: string): Promise<string> {
  return (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((error) => {
  console.error(error);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
