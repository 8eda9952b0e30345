/**
 * The SQLite store's memory over many appends, without the soak (issue 13, ADR 0018): drives a
 * SqliteEventStore on a fresh file through APPENDS appends shaped as the api's (a fifth open a new
 * stream with its data keys, AppendOptions.dataKeys, as the encryption layer does; the rest go to
 * existing streams; ~1 KB of sealed-looking data per event), and samples the process's RSS, heap
 * used, external and array buffers every SAMPLE appends, with the file's and its WAL's sizes, and
 * where the resident memory is (memory-map.ts: glibc's main arena, other threads' arenas, the rest).
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/sqlite-writer-memory.ts
 *
 * Options (env): MEM_WRITER (thread | inline, default thread), MEM_APPENDS (default 150000),
 * MEM_SAMPLE (default 10000), MEM_CONCURRENCY (appends in flight, default 4), MEM_SYNCHRONOUS
 * (full | normal, default full), MEM_READS (1: read a stream back every 10 appends, as the api's
 * commands do, on the read connection; default 1), MEM_CACHE_KIB (passed as the store's
 * cacheSizeKib, and the key store's, when set), MEM_KEYS (1: a SqliteDataKeyStore on the same file
 * reads each new stream's keys back, as the apps' decryption does on a cache miss). Run it under MALLOC_ARENA_MAX / MALLOC_TRIM_THRESHOLD_ to compare
 * glibc's settings. Figures are for ADR 0018; no targets here.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { SqliteDataKeyStore, SqliteEventStore, type EventData } from '@send/event-store';
import type { NewDataKeyRow } from '@send/event-store/personal-data/data-key-store.port';
import { memoryMap } from './memory-map';

const WRITER = (process.env.MEM_WRITER ?? 'thread') as 'thread' | 'inline';
const APPENDS = Number(process.env.MEM_APPENDS ?? 150_000);
const SAMPLE = Number(process.env.MEM_SAMPLE ?? 10_000);
const CONCURRENCY = Number(process.env.MEM_CONCURRENCY ?? 4);
const SYNCHRONOUS = (process.env.MEM_SYNCHRONOUS ?? 'full') as 'full' | 'normal';
const READS = process.env.MEM_READS !== '0';
const CACHE_KIB = process.env.MEM_CACHE_KIB ? Number(process.env.MEM_CACHE_KIB) : undefined;
const KEYS = process.env.MEM_KEYS === '1';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-writer-memory-'));
const path = join(dir, 'events.sqlite');
const store = new SqliteEventStore({
  path,
  writer: WRITER,
  synchronous: SYNCHRONOUS,
  ...(CACHE_KIB !== undefined ? { cacheSizeKib: CACHE_KIB } : {}),
});

/** MEM_KEYS=1: the key store on the same file reads each new stream's keys back, as the apps' decryption does on a cache miss. */
const keys = KEYS
  ? new SqliteDataKeyStore({
      path,
      secret: 'sqlite-writer-memory: a secret for this bench only',
      ...(CACHE_KIB !== undefined ? { cacheSizeKib: CACHE_KIB } : {}),
    })
  : null;

const sealed = () => `pd2.${randomBytes(600).toString('base64')}`;
const event = (type: string): EventData => ({
  id: randomUUID(),
  type,
  data: { requestId: randomUUID(), channel: 'phone', outcome: 'unanswered', at: new Date().toISOString(), $pd: sealed() },
  metadata: { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'parent-1', role: 'parent' } },
});
const keyRow = (scope: string): NewDataKeyRow => ({
  keyId: randomUUID(),
  subjectHash: randomBytes(32).toString('hex'),
  subjectSealed: randomBytes(90),
  scope,
  wrappedKey: randomBytes(60),
  createdAt: new Date().toISOString(),
});

const OPEN = 2000;
const streams: string[] = [];
let done = 0;
const mb = (n: number) => (n / 1048576).toFixed(1);
const size = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

interface Sample {
  appends: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  file: number;
  wal: number;
  cpuMs: number;
  mainArena: number;
  threadArenas: number;
  otherAnonymous: number;
}
const samples: Sample[] = [];
function sample(): void {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const map = memoryMap();
  const s = {
    appends: done,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    file: size(path),
    wal: size(`${path}-wal`),
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainArena: map?.mainArena ?? NaN,
    threadArenas: map?.threadArenas ?? NaN,
    otherAnonymous: map?.otherAnonymous ?? NaN,
  };
  samples.push(s);
  console.log(
    [
      s.appends,
      mb(s.rss),
      mb(s.heapUsed),
      mb(s.external),
      mb(s.arrayBuffers),
      mb(s.file),
      mb(s.wal),
      Math.round(s.cpuMs),
      mb(s.mainArena),
      mb(s.threadArenas),
      mb(s.otherAnonymous),
    ]
      .map(String)
      .map((v) => v.padStart(9))
      .join(' '),
  );
}

async function one(i: number): Promise<void> {
  if (streams.length < 50 || i % 5 === 0) {
    const stream = `contact-request-${randomUUID()}`;
    // Real wrapped keys when the key store reads them back (it unwraps what it reads).
    const rows = keys ? [1, 2].map((n) => keys.newKey!(`subject-${n}-${stream}`, stream).row) : [keyRow(stream), keyRow(stream)];
    await store.append(stream, [event('ContactRequestSubmitted')], { expectedRevision: 'no_stream', dataKeys: rows });
    if (keys) for (const row of rows) await keys.keyById(row.keyId);
    // The streams appended to are the last OPEN opened (as the soak's open set): this script's own memory stays flat.
    streams.push(stream);
    if (streams.length > OPEN) streams.shift();
  } else {
    const stream = streams[Math.floor(Math.random() * streams.length)];
    await store.append(stream, [event('ContactAttemptRecorded')], { expectedRevision: 'any' });
    if (READS && i % 10 === 1) await store.read(stream);
  }
}

async function main(): Promise<void> {
  console.log(
    `writer=${WRITER} appends=${APPENDS} concurrency=${CONCURRENCY} synchronous=${SYNCHRONOUS} reads=${READS} keys=${KEYS} cacheKib=${CACHE_KIB ?? 'default'} ` +
      `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '-'} MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_ ?? '-'} load=${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    ['appends', 'rss', 'heapUsed', 'external', 'arrBufs', 'file', 'wal', 'cpu ms', '[heap]', 'arenas', 'anon']
      .map((v) => v.padStart(9))
      .join(' '),
  );
  sample();
  let next = 0;
  const started = Date.now();
  const lane = async () => {
    while (next < APPENDS) {
      const i = next++;
      await one(i);
      done++;
      if (done % SAMPLE === 0) sample();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = (Date.now() - started) / 1000;
  const half = samples.filter((s) => s.appends >= APPENDS / 2);
  const first = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  console.log(
    `RESULT writer=${WRITER} ${Math.round(APPENDS / seconds)} appends/s; rss ${mb(samples[0].rss)} -> ${mb(first.rss)} (after ${first.appends}) -> ` +
      `${mb(half[0].rss)} (after ${half[0].appends}) -> ${mb(last.rss)} MB; second half ${(last.rss - half[0].rss) / 1048576 >= 0 ? '+' : ''}${mb(last.rss - half[0].rss)} MB; ` +
      `cpu ${((last.cpuMs / APPENDS) * 1000).toFixed(0)} us/append; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  await store.close();
  await keys?.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
