import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { ERASED, personalDataErased, userStreamId } from '@send/domain';
import { readAllToHead, type RecordedEvent, type SqliteEventStore } from '@send/event-store';
import { allProjections } from './all-projections';
import { keys, PROJECTIONS_NAME } from './keys';
import { ProjectorLease } from './lease/projector-lease';
import { LeaseLost, partLength, Projector, type Projection } from './projector';
import { ReadThroughOverlay } from './read-through';
import { RequestViewsRepository } from './request-view/request-views.repository';
import { dumpKeys, registerUser, RequestDriver, readModelTestHooks } from './testing/read-model-fixtures';

// This file's own Redis database: the read-model keys are global.
const DB = 15;

let redis: Redis;
let store: SqliteEventStore;
let drive: RequestDriver;
readModelTestHooks(DB, (w) => ({ redis, store, drive } = w));

/**
 * Requests whose events interleave in the store (each step advances every request), so one batch
 * holds several events of the same request and of others; officers registered, renamed and moved
 * to another team between assignments; escalations raised, advanced, acknowledged, resolved.
 */
async function interleavedHistory(requests = 6): Promise<void> {
  await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
  await registerUser(store, { id: 'manager-1', name: 'Mo Manager', role: 'team_manager', teamId: 'north' });
  const ids = Array.from({ length: requests }, () => uuid());
  const escalations = new Map<string, string>();
  const steps: Array<(id: string, i: number) => Promise<unknown>> = [
    (id, i) => drive.at(i).submit(id, { teamId: i % 3 === 0 ? undefined : 'north' }, i + 1),
    async (id, i) => (i % 2 === 0 ? drive.at(10 + i).assign(id, 'officer-1') : undefined),
    async (id, i) => {
      if (i === 0) await registerUser(store, { id: 'officer-2', name: 'Ola Second', role: 'officer', teamId: 'south' });
      if (i % 2 === 1) escalations.set(id, await drive.at(20 + i).escalate(id));
      else await drive.at(20 + i).attempt(id);
    },
    async (id, i) => {
      if (i === 0) await registerUser(store, { id: 'officer-1', name: 'Olu Renamed', role: 'team_manager', teamId: 'south' });
      const esc = escalations.get(id);
      if (esc && i % 4 === 1) await drive.at(40 + i).advance(id, esc, 1);
      else if (esc) await drive.at(40 + i).acknowledge(id, esc);
      else await drive.at(40 + i).assign(id, 'officer-2', 'south');
    },
    (id, i) => (i % 3 === 0 ? drive.at(60 + i).respond(id, 'officer-2') : drive.at(60 + i).callBackFailed(id)),
    (id, i) => (i % 2 === 0 ? drive.at(80 + i).resolve(id) : drive.at(200 + i).checkDeadline(id, 'first_response')),
    async (id, i) => (i % 4 === 0 ? drive.at(90 + i).reopen(id) : i % 2 === 1 ? drive.at(90 + i).attempt(id) : undefined),
  ];
  for (const step of steps) for (const [i, id] of ids.entries()) await step(id, i);
}

async function storedEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  await readAllToHead(store, (e) => void events.push(e));
  return events;
}

async function projectInBatches(
  events: RecordedEvent[],
  size: number,
  projector = new Projector(PROJECTIONS_NAME, redis, allProjections()),
) {
  for (let i = 0; i < events.length; i += size) await projector.handleBatch(events.slice(i, i + size));
}

/** rm:* and the reference counters after projecting `events` one at a time from empty. */
async function oneAtATime(events: RecordedEvent[]): Promise<Record<string, unknown>> {
  await redis.flushdb();
  const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
  for (const event of events) await projector.handle(event);
  const dump = await dumpKeys(redis);
  await redis.flushdb();
  return dump;
}

describe('Projector.handleBatch', () => {
  it('leaves exactly the read models that one event at a time leaves, whatever the batch size', async () => {
    await interleavedHistory();
    const events = await storedEvents();
    expect(events.length).toBeGreaterThan(50);
    const expected = await oneAtATime(events);
    expect(expected[keys.user('officer-1')]).toContain('Olu Renamed');
    expect(expected[keys.checkpoint(PROJECTIONS_NAME)]).toBe(events[events.length - 1].position.toString());

    for (const size of [2, 7, 500]) {
      await redis.flushdb();
      await projectInBatches(events, size);
      expect(await dumpKeys(redis)).toEqual(expected);
    }
  });

  it('leaves the same read models when a batch goes as several pipelined MULTIs (parts), whatever their size', async () => {
    await interleavedHistory();
    const events = await storedEvents();
    const expected = await oneAtATime(events);
    for (const [size, partSize] of [
      [500, 1],
      [500, 3],
      [7, 2],
      [500, 40],
    ]) {
      await redis.flushdb();
      await projectInBatches(events, size, new Projector(PROJECTIONS_NAME, redis, allProjections(), { partSize }));
      expect(await dumpKeys(redis)).toEqual(expected);
    }
  });

  it("goes through a batch's tail in halving parts, the last one short, and leaves the same read models", async () => {
    const parts = (n: number, partSize: number) => {
      const out: number[] = [];
      for (let left = n; left > 0; left -= out[out.length - 1]) out.push(partLength(left, partSize));
      return out;
    };
    expect(parts(2000, 500)).toEqual([500, 500, 500, 250, 125, 63, 62]);
    expect(parts(10, 3)).toEqual([3, 3, 3, 1]); // parts too small to halve: as many as partSize
    expect(parts(100, 500)).toEqual([50, 50]);
    expect(parts(60, 500)).toEqual([60]); // a live batch: one MULTI
    await interleavedHistory(40);
    const events = await storedEvents();
    expect(events.length).toBeGreaterThan(250);
    const expected = await oneAtATime(events);
    for (const partSize of [64, 100]) {
      await redis.flushdb();
      await projectInBatches(events, events.length, new Projector(PROJECTIONS_NAME, redis, allProjections(), { partSize }));
      expect(await dumpKeys(redis)).toEqual(expected);
    }
  });

  it("derives a request's rows from where it ends in the batch: an assignee erased between its events, an escalation raised and advanced", async () => {
    await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
    await registerUser(store, { id: 'officer-3', name: 'Tam Third', role: 'officer', teamId: 'north' });
    const [erasedBetween, erasedAfter, climbed] = [uuid(), uuid(), uuid()];
    for (const id of [erasedBetween, erasedAfter, climbed]) await drive.submit(id, { teamId: 'north' });
    await drive.at(5).assign(erasedBetween, 'officer-3');
    await drive.at(5).assign(erasedAfter, 'officer-3');
    await drive.at(6).attempt(erasedAfter);
    const erasure = personalDataErased({ erasureId: 'erasure-b', reason: 'erasure', by: 'manager-1', at: '2026-03-03T09:00:00.000Z' });
    await store.append(
      userStreamId('officer-3'),
      [{ id: uuid(), ...erasure, metadata: { actor: { id: 'manager-1', role: 'service_manager' } } }],
      {
        expectedRevision: 'any',
      },
    );
    await drive.at(7).attempt(erasedBetween); // after the erasure: the record keeps the erased name
    const escalation = await drive.at(8).escalate(climbed);
    await drive.at(40).advance(climbed, escalation, 1);
    const events = await storedEvents();
    const expected = await oneAtATime(events);

    await new Projector(PROJECTIONS_NAME, redis, allProjections()).handleBatch(events); // all in one batch
    expect(await dumpKeys(redis)).toEqual(expected);
    const views = new RequestViewsRepository(redis);
    for (const id of [erasedBetween, erasedAfter]) expect((await views.get(id))!.view.assignee).toEqual({ id: 'officer-3', name: ERASED });
    expect(JSON.parse((await redis.get(keys.queueEntry(erasedBetween)))!).assignee.name).toBe(ERASED);
    expect(JSON.parse((await redis.get(keys.dashboardRow(erasedAfter)))!).assignee.name).toBe(ERASED);
    // Raised at 1 and advanced to 2 in one batch: counted at both levels, as event by event.
    expect(await redis.sismember(keys.alertsRaised(1), escalation)).toBe(1);
    expect(await redis.sismember(keys.alertsRaised(2), escalation)).toBe(1);
  });

  it('changes nothing when a batch is delivered again, whole or overlapping what was applied', async () => {
    await interleavedHistory(4);
    const events = await storedEvents();
    const expected = await oneAtATime(events);

    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    const cut = Math.floor(events.length * 0.6);
    await projector.handleBatch(events.slice(0, cut));
    await projector.handleBatch(events.slice(0, cut)); // the same batch again
    await projector.handleBatch(events.slice(Math.floor(cut / 2))); // half already applied, half new
    expect(await dumpKeys(redis)).toEqual(expected);

    const fresh = new Projector(PROJECTIONS_NAME, redis, allProjections()); // another process, checkpoint from Redis
    await fresh.handleBatch(events);
    expect(await dumpKeys(redis)).toEqual(expected);
  });

  it('lets event N+1 of a batch read what event N wrote (a user registered then named on an assignment)', async () => {
    const id = uuid();
    await drive.submit(id);
    await registerUser(store, { id: 'officer-9', name: 'Nia Newcomer', role: 'officer', teamId: 'north' });
    await drive.at(5).assign(id, 'officer-9');
    await new Projector(PROJECTIONS_NAME, redis, allProjections()).handleBatch(await storedEvents());
    const record = (await new RequestViewsRepository(redis).get(id))!;
    expect(record.view.assignee).toEqual({ id: 'officer-9', name: 'Nia Newcomer' });
    expect(record.view.status).toBe('assigned');
    expect(await redis.zrange(keys.officerQueue('officer-9'), 0, -1)).toEqual([id]);
    expect(await redis.zrange(keys.teamQueue('north'), 0, -1)).toEqual([]);
    expect(await redis.lrange(keys.timeline(id), 0, -1)).toHaveLength(2);
  });
});

describe('ReadThroughOverlay lists', () => {
  it('reads a list as stored plus the batch’s appends; a replaced list is exactly what replaced it, then what is appended', async () => {
    await redis.rpush('rm:test:list', 'a', 'b');
    const tx = redis.multi();
    const overlay = new ReadThroughOverlay(redis);
    overlay.rpush('rm:test:list', 'c');
    expect(await overlay.getList('rm:test:list')).toEqual(['a', 'b', 'c']);
    overlay.replaceList('rm:test:list', ['A', 'B', 'C']);
    overlay.rpush('rm:test:list', 'd');
    expect(await overlay.getList('rm:test:list')).toEqual(['A', 'B', 'C', 'd']);
    overlay.replaceList('rm:test:other', []); // replaced by nothing: gone
    await redis.rpush('rm:test:other', 'x');
    expect(await redis.lrange('rm:test:list', 0, -1)).toEqual(['a', 'b']); // nothing written before the MULTI runs
    overlay.flush(tx);
    await tx.exec();
    expect(await redis.lrange('rm:test:list', 0, -1)).toEqual(['A', 'B', 'C', 'd']);
    expect(await redis.exists('rm:test:other')).toBe(0);
  });
});

describe('ReadThroughOverlay writes (encoded once, EncodedCommand)', () => {
  it('stores every string and list value as given, whatever its characters, and the MULTI answers as ioredis commands do', async () => {
    const texts = ['plain', 'Siân Ó Conaill £5', 'line\r\nbreak $3\r\n*2', '😀 family', 'x'.repeat(20_000), ''];
    const overlay = new ReadThroughOverlay(redis);
    texts.forEach((text, i) => overlay.set(`rm:test:s${i}`, text));
    overlay.setJson('rm:test:json', { name: 'Zoë', note: texts[2] });
    for (const text of texts) overlay.rpush('rm:test:l', text);
    const tx = redis.multi();
    overlay.flush(tx);
    const results = await tx.exec();
    expect(results).toEqual([
      [null, 'OK'],
      [null, texts.length],
    ]);
    expect(await redis.mget(texts.map((_, i) => `rm:test:s${i}`))).toEqual(texts);
    expect(JSON.parse((await redis.get('rm:test:json'))!)).toEqual({ name: 'Zoë', note: texts[2] });
    expect(await redis.lrange('rm:test:l', 0, -1)).toEqual(texts);
  });
});

describe('Projector.handleBatch under a lease', () => {
  it('writes nothing when it does not hold the lease', async () => {
    await interleavedHistory(2);
    const events = await storedEvents();
    const mine = new ProjectorLease(redis, { ttlMs: 10_000, owner: 'mine' });
    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections(), { lease: mine });
    expect(await mine.tryAcquire()).toBe(true);
    await projector.handleBatch(events.slice(0, 5));
    const before = await dumpKeys(redis, 'rm:*');
    const checkpoint = await redis.get(keys.checkpoint(PROJECTIONS_NAME));

    await redis.del(mine.key); // expired...
    expect(await new ProjectorLease(redis, { ttlMs: 10_000, owner: 'rebuild' }).tryAcquire()).toBe(true); // ...and taken
    await expect(projector.handleBatch(events.slice(5))).rejects.toBeInstanceOf(LeaseLost);
    expect(await dumpKeys(redis, 'rm:*')).toEqual(before);
    expect(await redis.get(keys.checkpoint(PROJECTIONS_NAME))).toBe(checkpoint);
  });

  it('writes nothing when the lease changes hands while it prepares the batch (the WATCH aborts the MULTI)', async () => {
    await interleavedHistory(2);
    const events = await storedEvents();
    const other = redis.duplicate();
    try {
      const mine = new ProjectorLease(redis, { ttlMs: 10_000, owner: 'mine' });
      const rebuild = new ProjectorLease(other, { ttlMs: 10_000, owner: 'rebuild' });
      let stolen = false;
      // Takes the lease away on another connection after the projector read it, before its EXEC.
      const thief: Projection = {
        name: 'thief',
        async project() {
          if (stolen) return;
          stolen = true;
          await other.del(mine.key);
          await rebuild.tryAcquire();
        },
      };
      const projector = new Projector(PROJECTIONS_NAME, redis, [...allProjections(), thief], { lease: mine });
      expect(await mine.tryAcquire()).toBe(true);
      await expect(projector.handleBatch(events)).rejects.toBeInstanceOf(LeaseLost);
      expect(stolen).toBe(true);
      expect(await redis.keys('rm:*')).toEqual([]);
      expect(await redis.get(keys.checkpoint(PROJECTIONS_NAME))).toBeNull();
    } finally {
      await other.quit();
    }
  });

  it('keeps the parts applied before the lease changed hands, with their checkpoint, and writes nothing after', async () => {
    await interleavedHistory(2);
    const events = await storedEvents();
    const partSize = 5;
    expect(events.length).toBeGreaterThan(2 * partSize);
    const expected = await oneAtATime(events.slice(0, partSize));
    const other = redis.duplicate();
    try {
      const mine = new ProjectorLease(redis, { ttlMs: 10_000, owner: 'mine' });
      const rebuild = new ProjectorLease(other, { ttlMs: 10_000, owner: 'rebuild' });
      let seen = 0;
      // Takes the lease away while the second part is worked out (the first one's MULTI sent).
      const thief: Projection = {
        name: 'thief',
        async project() {
          if (++seen !== partSize + 2) return;
          await other.del(mine.key);
          await rebuild.tryAcquire();
        },
      };
      const projector = new Projector(PROJECTIONS_NAME, redis, [...allProjections(), thief], { lease: mine, partSize });
      expect(await mine.tryAcquire()).toBe(true);
      await expect(projector.handleBatch(events)).rejects.toBeInstanceOf(LeaseLost);
      const dump = await dumpKeys(redis);
      expect(dump[mine.key]).toBe(rebuild.token);
      delete dump[mine.key];
      expect(dump).toEqual(expected);
      expect(await redis.get(keys.checkpoint(PROJECTIONS_NAME))).toBe(events[partSize - 1].position.toString());
    } finally {
      await other.quit();
    }
  });

  it('retries a batch whose MULTI its own lease renewal aborted, and applies it once', async () => {
    await interleavedHistory(2);
    const events = await storedEvents();
    const expected = await oneAtATime(events);
    const mine = new ProjectorLease(redis, { ttlMs: 10_000, owner: 'mine' });
    let renewals = 0;
    const renewer: Projection = {
      name: 'renewer',
      async project() {
        if (renewals++ === 0) await mine.renew(); // PEXPIRE touches the watched key
      },
    };
    const projector = new Projector(PROJECTIONS_NAME, redis, [...allProjections(), renewer], { lease: mine });
    expect(await mine.tryAcquire()).toBe(true);
    await projector.handleBatch(events);
    const dump = await dumpKeys(redis);
    delete dump[mine.key];
    expect(dump).toEqual(expected);
    expect(renewals).toBeGreaterThan(events.length); // the batch ran twice: aborted once, then applied
  });

  it('retries from the last part applied when a renewal aborts a later part', async () => {
    await interleavedHistory(2);
    const events = await storedEvents();
    const expected = await oneAtATime(events);
    const partSize = 5;
    const mine = new ProjectorLease(redis, { ttlMs: 10_000, owner: 'mine' });
    let seen = 0;
    const renewer: Projection = {
      name: 'renewer',
      async project() {
        if (++seen === partSize + 2) await mine.renew(); // while the second part is worked out
      },
    };
    const projector = new Projector(PROJECTIONS_NAME, redis, [...allProjections(), renewer], { lease: mine, partSize });
    expect(await mine.tryAcquire()).toBe(true);
    await projector.handleBatch(events);
    const dump = await dumpKeys(redis);
    delete dump[mine.key];
    expect(dump).toEqual(expected);
    // Worked out before the abort was known: parts 1-3 (the third while the second's MULTI ran);
    // then again from the first part's checkpoint: everything after part 1.
    expect(events.length).toBeGreaterThan(3 * partSize);
    expect(seen).toBe(3 * partSize + (events.length - partSize));
  });
});
