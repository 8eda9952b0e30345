import fc from 'fast-check';
import type Redis from 'ioredis';
import { evolve, initialState } from '@send/domain';
import { submitted } from '@send/domain/testing/fixtures';
import { keys } from '../keys';
import { QueuesRepository } from '../queues/queues.repository';
import { RequestViewsRepository } from '../request-view/request-views.repository';
import { countCommands, readModelRedis } from '../testing/read-model-fixtures';
import {
  compareCursor,
  readPageTexts,
  readZsetPage,
  readZsetPageBytes,
  readZsetPageBytesAnd,
  readZsetPageTexts,
  type Page,
  type PageCursor,
  type PageOrder,
  type PageRequest,
} from './zset-page';

// This file's own Redis database: the read-model keys are global.
const DB = 6; // this file's own Redis database (see readModelRedis for who has which)
const RUNS = { numRuns: 60 };

let redisHandle: Awaited<ReturnType<typeof readModelRedis>>;
let redis: Redis;

beforeAll(async () => {
  redisHandle = await readModelRedis(DB);
  redis = redisHandle.redis;
});
afterAll(() => redisHandle?.stop());
beforeEach(() => redis.flushdb());

/** A few scores, so that ties (the hard case for a score cursor) are everywhere; ids that sort differently as bytes and as text. */
const score = fc.constantFrom(-3, 0, 1, 1.5, 2, 1e13 + 7);
const id = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '0', '-', 'é', 'z'), minLength: 1, maxLength: 3 });
type Mutation = { kind: 'add'; id: string; score: number; set: number } | { kind: 'rescore'; pick: number; score: number };
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), id, score, set: fc.nat(1) }),
  fc.record({ kind: fc.constant('rescore' as const), pick: fc.nat(), score }),
);
const scenario = fc.record({
  initial: fc.uniqueArray(fc.record({ id, score, set: fc.nat(1) }), { selector: (m) => m.id, maxLength: 40 }),
  limits: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 30 }),
  // Applied before each page after the first: the list changes under the walk.
  between: fc.array(fc.array(mutation, { maxLength: 4 }), { maxLength: 30 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

/** A scenario with every member in the first set: a walk over one list. */
const inOneSet = (s: Scenario) => ({
  ...s,
  initial: s.initial.map((m) => ({ ...m, set: 0 })),
  between: s.between.map((b) => b.map((c) => ({ ...c, set: 0 }))),
});

/** The model: member -> (score, which of the sets), as Redis holds it. */
type Model = Map<string, { score: number; set: number }>;

function expectedPage(model: Model, sets: number[], order: PageOrder, request: PageRequest): { ids: string[]; more: boolean } {
  const sign = order === 'asc' ? 1 : -1;
  const all = [...model]
    .filter(([, m]) => sets.includes(m.set))
    .map(([member, m]) => ({ id: member, score: m.score }))
    .sort((a, b) => sign * compareCursor(a, b))
    .filter((m) => !request.after || sign * compareCursor(m, request.after) > 0);
  return { ids: all.slice(0, request.limit).map((m) => m.id), more: all.length > request.limit };
}

/**
 * Walks a list page by page while `between` changes it, and checks what the paging promises: every
 * page is exactly the first `limit` items after the cursor in the list as it stands, and every item
 * present for the whole walk and never re-scored comes back exactly once.
 */
async function checkWalk(
  s: { initial: Array<{ id: string; score: number; set: number }>; limits: number[]; between: Mutation[][] },
  order: PageOrder,
  setKeys: string[],
  /** The sets the read covers (e.g. the team view reads the team's queue and the unrouted one). */
  covered: number[],
  write: (key: string, member: string, score: number) => Promise<void>,
  read: (request: PageRequest) => Promise<Page<{ id: string }>>,
): Promise<void> {
  await redis.flushdb();
  const model: Model = new Map();
  const apply = async (member: string, score: number, set: number) => {
    const known = model.get(member);
    if (known && known.set !== set) await redis.zrem(setKeys[known.set], member); // a member lives in one set only
    model.set(member, { score, set });
    await write(setKeys[set], member, score);
  };
  for (const m of s.initial) await apply(m.id, m.score, m.set);
  const touched = new Set<string>();
  const seen = new Map<string, number>();
  let after: PageCursor | null = null;
  for (let pageNo = 0; ; pageNo++) {
    if (pageNo > 0)
      for (const change of s.between[pageNo - 1] ?? []) {
        if (change.kind === 'add') {
          touched.add(change.id);
          await apply(change.id, change.score, model.get(change.id)?.set ?? change.set);
        } else if (model.size > 0) {
          const [member, m] = [...model][change.pick % model.size];
          touched.add(member);
          await apply(member, change.score, m.set);
        }
      }
    const request = { limit: s.limits[pageNo % s.limits.length], after };
    const page = await read(request);
    const expected = expectedPage(model, covered, order, request);
    expect(page.items.map((i) => i.id)).toEqual(expected.ids);
    expect(page.next !== null).toBe(expected.more);
    for (const item of page.items) seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
    if (!page.next) break;
    after = page.next;
    expect(pageNo).toBeLessThan(500);
  }
  for (const m of s.initial) if (covered.includes(m.set) && !touched.has(m.id)) expect([m.id, seen.get(m.id)]).toEqual([m.id, 1]);
}

const zadd = async (key: string, member: string, score: number) => {
  await redis.zadd(key, score, member);
};

describe('keyset paging over a zset', () => {
  it.each<PageOrder>(['asc', 'desc'])('pages %s exactly, ties included, while items are added and re-scored', async (order) => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        checkWalk(inOneSet(s), order, ['z'], [0], zadd, async (request) => {
          const page = await readZsetPage(redis, 'z', order, request);
          return { items: page.members, next: page.more ? page.members[page.members.length - 1] : null };
        }),
      ),
      RUNS,
    );
  });

  it('starts after a cursor whose item is gone or was re-scored, between equal scores', async () => {
    await redis.zadd('z', 5, 'a', 5, 'c', 5, 'e', 6, 'b');
    const read = (after: PageCursor, order: PageOrder = 'asc') =>
      readZsetPage(redis, 'z', order, { limit: 10, after }).then((p) => p.members.map((m) => m.id));
    expect(await read({ score: 5, id: 'b' })).toEqual(['c', 'e', 'b']); // 'b' is not at 5 any more
    expect(await read({ score: 5, id: 'd' })).toEqual(['e', 'b']); // never existed
    expect(await read({ score: 5, id: 'c' })).toEqual(['e', 'b']); // still there
    expect(await read({ score: 5, id: 'd' }, 'desc')).toEqual(['c', 'a']);
    expect(await read({ score: 4, id: 'zz' })).toEqual(['a', 'c', 'e', 'b']);
    expect(await read({ score: 7, id: '' }, 'desc')).toEqual(['b', 'e', 'c', 'a']);
  });
});

describe('queue pages', () => {
  const queues = () => new QueuesRepository(redis);
  // The read only needs the row's id; a real row is toQueueEntry(view) (see projections.spec.ts).
  const writeEntry = async (key: string, member: string, score: number) => {
    await redis
      .multi()
      .zadd(key, score, member)
      .set(keys.queueEntry(member), JSON.stringify({ id: member, score }))
      .exec();
  };

  it("walks an officer's queue exactly once per item while it changes", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        checkWalk(inOneSet(s), 'asc', [keys.officerQueue('o1')], [0], writeEntry, (request) => queues().officerQueuePage('o1', request)),
      ),
      RUNS,
    );
  });

  it("walks a team's queue (merged with an away officer's queue) exactly once per item while both change", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        checkWalk(s, 'asc', [keys.teamQueue('north'), keys.officerQueue('away-1')], [0, 1], writeEntry, (request) =>
          queues().teamQueuePage('north', request, ['away-1']),
        ),
      ),
      RUNS,
    );
  });

  it('reads a first page with the same Redis commands whatever the queue holds', async () => {
    const fill = async (from: number, to: number) => {
      const tx = redis.multi();
      for (let i = from; i < to; i++) {
        const member = `r-${String(i).padStart(6, '0')}`;
        // Many equal scores, as requests submitted out of hours share a due time.
        tx.zadd(keys.teamQueue('north'), 1e13 + (i % 50), member);
        tx.zadd(keys.officerQueue('o1'), 1e13 + (i % 50), member);
        tx.set(keys.queueEntry(member), JSON.stringify({ id: member, score: 1e13 + (i % 50) }));
      }
      await tx.exec();
    };
    const commandsOf = (read: () => Promise<unknown>) => countCommands(redis, DB, read);

    await fill(0, 30);
    await queues().officerQueuePage('o1', { limit: 20 }); // the server learns the script
    const small = {
      officer: await commandsOf(() => queues().officerQueuePage('o1', { limit: 20 })),
      team: await commandsOf(() => queues().teamQueuePage('north', { limit: 20 })),
      covered: await commandsOf(() => queues().teamQueuePage('north', { limit: 20 }, ['o1'])),
    };
    await fill(30, 5_000);
    const large = {
      officer: await commandsOf(() => queues().officerQueuePage('o1', { limit: 20 })),
      team: await commandsOf(() => queues().teamQueuePage('north', { limit: 20 })),
      covered: await commandsOf(() => queues().teamQueuePage('north', { limit: 20 }, ['o1'])),
    };
    // A page is one script (the members and their entries); with an away officer whose requests need
    // cover, one ZRANGE per queue and one MGET.
    expect(small).toEqual({ officer: ['evalsha'], team: ['evalsha'], covered: ['zrange', 'zrange', 'mget'] });
    expect(large).toEqual(small);

    // A later page is the same one script (its steps grow with log n, not with n).
    const first = await queues().officerQueuePage('o1', { limit: 20 });
    expect(await commandsOf(() => queues().officerQueuePage('o1', { limit: 20, after: first.next }))).toEqual(['evalsha']);
  });

  it('reads the rows with the page, in the same order and at once: missing rows skipped, the limit + 1st not read', async () => {
    await redis.zadd(keys.officerQueue('o1'), 3, 'c', 1, 'a', 2, 'b', 2, 'bb', 4, 'd');
    for (const id of ['a', 'b', 'c', 'd']) await redis.set(keys.queueEntry(id), JSON.stringify({ id }));
    const read = (request: PageRequest) => readZsetPageTexts(redis, keys.officerQueue('o1'), keys.queueEntry(''), 'asc', request);
    // 'bb' has no row (resolved between the projector's writes): skipped, its place still counted.
    expect(await read({ limit: 3 })).toEqual({ items: ['{"id":"a"}', '{"id":"b"}'], next: { score: 2, id: 'bb' } });
    expect(await read({ limit: 3, after: { score: 2, id: 'bb' } })).toEqual({ items: ['{"id":"c"}', '{"id":"d"}'], next: null });
    expect(await readZsetPageTexts(redis, keys.officerQueue('o1'), keys.queueEntry(''), 'desc', { limit: 2 })).toEqual({
      items: ['{"id":"d"}', '{"id":"c"}'],
      next: { score: 3, id: 'c' },
    });
    expect(await readZsetPageTexts(redis, keys.officerQueue('nobody'), keys.queueEntry(''), 'asc', { limit: 5 })).toEqual({
      items: [],
      next: null,
    });
    // The same page with its rows as the bytes Redis sent (a queue page's read).
    expect(await readZsetPageBytes(redis, keys.officerQueue('o1'), keys.queueEntry(''), 'asc', { limit: 3 })).toEqual({
      items: [Buffer.from('{"id":"a"}'), Buffer.from('{"id":"b"}')],
      next: { score: 2, id: 'bb' },
    });
    // Only the page's own rows: not the one read to know that more follow.
    const commands = await countCommands(redis, DB, () => read({ limit: 1 }), true);
    expect(commands.filter((c) => c.startsWith('MGET'))).toEqual(['MGET rm:queue-entry:a']);
  });

  it("reads a set's members' values with the page, in the same script, the page as it reads alone", async () => {
    await redis.zadd(keys.teamQueue('north'), 1, 'a', 2, 'b', 3, 'c');
    for (const id of ['a', 'b', 'c']) await redis.set(keys.queueEntry(id), JSON.stringify({ id }));
    await redis.sadd(keys.usersByTeam('north'), 'u1', 'u2', 'gone');
    await redis.set(keys.user('u1'), '{"id":"u1"}');
    await redis.set(keys.user('u2'), '{"id":"u2"}');
    const users = { set: keys.usersByTeam('north'), prefix: keys.user('') };
    for (const request of [{ limit: 2 }, { limit: 2, after: { score: 2, id: 'b' } }, { limit: 5 }]) {
      const read = await readZsetPageBytesAnd(redis, keys.teamQueue('north'), keys.queueEntry(''), 'asc', request, users);
      expect(read.page).toEqual(await readZsetPageBytes(redis, keys.teamQueue('north'), keys.queueEntry(''), 'asc', request));
      // In no order; null for a member whose value is gone.
      expect(read.also.map((v) => v?.toString() ?? null).sort()).toEqual(['{"id":"u1"}', '{"id":"u2"}', null].sort());
    }
    const nobody = { set: keys.usersByTeam('nobody'), prefix: keys.user('') };
    expect(await readZsetPageBytesAnd(redis, keys.teamQueue('empty'), keys.queueEntry(''), 'asc', { limit: 2 }, nobody)).toEqual({
      page: { items: [], next: null },
      also: [],
    });
    expect(await countCommands(redis, DB, () => new QueuesRepository(redis).teamQueuePageAndUsers('north', { limit: 2 }))).toEqual([
      'evalsha',
    ]);
  });

  it.each<PageOrder>(['asc', 'desc'])('a script page %s is readZsetPage and readPageTexts in one, while the set changes', async (order) => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        checkWalk(
          inOneSet(s),
          order,
          ['z'],
          [0],
          async (key, member, score) => {
            await redis.multi().zadd(key, score, member).set(`v:${member}`, member).exec();
          },
          async (request) => {
            const page = await readZsetPageTexts(redis, 'z', 'v:', order, request);
            const twoReads = await readPageTexts(redis, await readZsetPage(redis, 'z', order, request), (m) => `v:${m}`);
            expect(page).toEqual(twoReads);
            return { items: page.items.map((member) => ({ id: member })), next: page.next };
          },
        ),
      ),
      RUNS,
    );
  });
});

describe('request list pages', () => {
  const writeRecord = async (key: string, member: string, score: number) => {
    await redis
      .multi()
      .zadd(key, score, member)
      // As the projection stores a record: the state (the view is made from it on read).
      .set(keys.request(member), JSON.stringify({ state: evolve(initialState, submitted({ requestId: member })), assigneeName: null }))
      .exec();
  };

  it('reads a page of one list with its records in one script, a union of lists with a ZRANGE each and one MGET', async () => {
    for (const [i, member] of ['r1', 'r2', 'r3'].entries()) await writeRecord(keys.allRequests(), member, i);
    await writeRecord(keys.requestsByTeam('north'), 'r1', 0);
    const views = () => new RequestViewsRepository(redis);
    await views().pageAll({ limit: 2 }); // the server learns the script
    const page = await views().pageAll({ limit: 2 });
    expect([page.items.map((r) => r.view.id), page.next]).toEqual([['r3', 'r2'], { score: 1, id: 'r2' }]);
    expect(await countCommands(redis, DB, () => views().pageAll({ limit: 2 }))).toEqual(['evalsha']);
    expect(
      await countCommands(redis, DB, () => views().pageOfUnion([keys.allRequests(), keys.requestsByTeam('north')], { limit: 2 })),
    ).toEqual(['zrange', 'zrange', 'mget']);
  });

  it('walks every request newest first, exactly once per item while requests are added', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        checkWalk(inOneSet(s), 'desc', [keys.allRequests()], [0], writeRecord, async (request) => {
          const page = await new RequestViewsRepository(redis).pageAll(request);
          return { items: page.items.map((r) => r.view), next: page.next };
        }),
      ),
      RUNS,
    );
  });
});
