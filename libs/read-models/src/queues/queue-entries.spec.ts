import fc from 'fast-check';
import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import type { SqliteEventStore } from '@send/event-store';
import { AlertsRepository } from '../alerts/alerts.repository';
import { keys } from '../keys';
import type { PageCursor } from '../paging/zset-page';
import { Projector } from '../projector';
import { RequestViewsRepository } from '../request-view/request-views.repository';
import { RequestDriver, readModelTestHooks } from '../testing/read-model-fixtures';
import { QueuePage, queueRowKeys, queueRowsJson, toQueueEntry, type QueueEntry } from './queue-entry';
import { QueuesRepository } from './queues.repository';

// This file's own Redis database: the read-model keys are global.
const DB = 5; // this file's own Redis database (see readModelRedis for who has which)

let redis: Redis;
let store: SqliteEventStore;
let drive: RequestDriver;
let projector: Projector;
let project: () => Promise<number>;
readModelTestHooks(DB, (w) => ({ redis, store, drive, projector, project } = w));

const entryOf = async (id: string) => {
  const stored = await redis.get(keys.queueEntry(id));
  return stored === null ? null : JSON.parse(stored);
};

/** Every item of a paged list, following the cursors with pages of `limit`. */
async function walk<T>(read: (after: PageCursor | null) => Promise<{ items: T[]; next: PageCursor | null }>): Promise<T[][]> {
  const pages: T[][] = [];
  let after: PageCursor | null = null;
  do {
    const page = await read(after);
    pages.push(page.items);
    after = page.next;
  } while (after);
  return pages;
}

describe('queue entries', () => {
  it('keeps the slim row of every queued request in step with its view, and drops it when the request leaves the queues', async () => {
    const id = uuid();
    await drive.submit(id, { teamId: 'north' }, 1);
    await drive.at(5).assign(id, 'officer-1', 'north');
    await drive.at(6).escalate(id);
    await project();
    const view = (await new RequestViewsRepository(redis).get(id))!.view;
    const entry = await entryOf(id);
    expect(entry).toEqual(toQueueEntry(view));
    expect(entry).toMatchObject({
      id,
      status: 'assigned',
      assignee: { id: 'officer-1' },
      unansweredAttempts: 3,
      escalation: { level: 1, status: 'open' },
    });
    // Only what a row shows: no message text, breaches or escalation detail.
    expect(Object.keys(entry).sort()).toEqual(
      [
        'id',
        'needsCover',
        'reference',
        'requesterFlaggedUrgent',
        'caseRef',
        'status',
        'category',
        'priority',
        'requesterRole',
        'assignee',
        'teamId',
        'submittedAt',
        'due',
        'unansweredAttempts',
        'lastAttemptAt',
        'escalation',
        'score',
      ].sort(),
    );
    expect(entry.score).toBe(await redis.zscore(keys.officerQueue('officer-1'), id).then(Number));

    await drive.at(7).respond(id);
    await project();
    expect((await entryOf(id)).escalation).toEqual({ level: 1, status: 'resolved' });
    expect((await entryOf(id)).score).toBe(await redis.zscore(keys.officerQueue('officer-1'), id).then(Number));

    await drive.at(8).resolve(id);
    await project();
    expect(await entryOf(id)).toBeNull();

    await drive.at(9).reopen(id);
    await project();
    expect(await entryOf(id)).toEqual(toQueueEntry((await new RequestViewsRepository(redis).get(id))!.view));
  });

  it("pages a team's queue (its unassigned requests and its away officers' open ones, needing cover) apart from triage", async () => {
    const [n1, n2, u1, s1, mine] = [uuid(), uuid(), uuid(), uuid(), uuid()];
    await drive.at(0).submit(n1, { teamId: 'north' }, 1); // due +100
    await drive.at(-30).submit(u1, {}, 2); // due +70, no team: triage
    await drive.at(-60).submit(n2, { teamId: 'north' }, 3); // due +40
    await drive.at(-90).submit(s1, { teamId: 'south' }, 4); // another team's
    await drive.at(-20).submit(mine, { teamId: 'north' }, 5); // due +80, assigned below
    await drive.at(1).assign(mine, 'officer-1');
    await project();
    const queues = new QueuesRepository(redis);
    const pages = await walk((after) => queues.teamQueuePage('north', { limit: 2, after }));
    expect(pages.map((p) => p.map((e) => e.id))).toEqual([[n2, n1]]);
    expect(pages[0][0]).toMatchObject({ reference: 'SEND-2026-000003', teamId: 'north', assignee: null, needsCover: false });

    const covered = await walk((after) => queues.teamQueuePage('north', { limit: 2, after }, ['officer-1']));
    expect(covered.map((p) => p.map((e) => e.id))).toEqual([[n2, mine], [n1]]);
    expect(covered[0][1]).toMatchObject({ assignee: { id: 'officer-1' }, needsCover: true });

    expect((await queues.triagePage({ limit: 10 })).items.map((e) => e.id)).toEqual([u1]);

    // The api answers a page as its rows spliced from the stored texts: the bytes serialising them would give.
    for (const page of [
      await queues.teamQueuePage('north', { limit: 10 }),
      await queues.teamQueuePage('north', { limit: 10 }, ['officer-1']),
    ]) {
      expect(queueRowsJson(page).toString()).toBe(answeredRows(page.items));
    }
    expect(JSON.parse(queueRowsJson(await queues.teamQueuePage('north', { limit: 10 }, ['officer-1'])).toString())[1]).toMatchObject({
      id: mine,
      needsCover: true,
    });
  });
});

/** What the api answered before it spliced stored rows: the entries without their scores, serialised. */
const answeredRows = (entries: QueueEntry[]) => JSON.stringify(entries.map(({ score: _score, ...row }) => row));

describe('a queue page as the api answers it (queueRowsJson)', () => {
  const base: QueueEntry = {
    id: '0b6f3c9e-6a43-4a43-9d1e-1f0c6c1e2a10',
    reference: 'SEND-2026-000001',
    caseRef: 'C-1001',
    status: 'assigned',
    category: 'placement',
    priority: 'urgent',
    requesterRole: 'parent',
    assignee: { id: 'officer-1', name: 'Olu Officer' },
    teamId: 'north',
    needsCover: false,
    requesterFlaggedUrgent: true,
    submittedAt: '2026-12-01T09:00:00.000Z',
    due: { firstResponseAt: '2026-12-02T09:00:00.000Z', resolutionAt: '2026-12-15T17:00:00.000Z' },
    unansweredAttempts: 2,
    lastAttemptAt: '2026-12-01T10:00:00.000Z',
    escalation: { level: 1, status: 'open' },
    score: 1_764_666_000_000,
  };
  // Any text where the rows hold free text (a case number typed by a family, names), any score.
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  const entry = fc
    .record({ caseRef: fc.option(text), reference: text, name: text, teamId: fc.option(text), score: fc.double() })
    .map(({ name, ...e }): QueueEntry => ({ ...base, ...e, id: uuid(), assignee: { id: 'officer-1', name } }));
  const pageOf = (items: QueueEntry[], json = items.map((e) => JSON.stringify(e))) => new QueuePage(json.map(bytesOf), null);
  const bytesOf = (text: string) => Buffer.from(text);

  it('gives the bytes JSON.stringify gives for the rows without their scores, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (items) => {
        expect(queueRowsJson(pageOf(items)).toString()).toBe(answeredRows(items));
      }),
      { numRuns: 300 },
    );
    expect(queueRowsJson(pageOf([])).toString()).toBe('[]');
  });

  it('reads the keys of any stored row as parsing it would, and parses a row not of that shape', () => {
    const keysOf = (e: QueueEntry) => ({ id: e.id, caseRef: e.caseRef, teamId: e.teamId, assigneeId: e.assignee?.id ?? null });
    const anyEntry = fc
      .record({ entry, assigneeId: fc.option(fc.oneof(text, fc.constant('officer-1'))), cover: fc.boolean() })
      .map(({ entry: e, assigneeId, cover }): QueueEntry => ({
        ...e,
        assignee: assigneeId === null ? null : { id: assigneeId, name: e.assignee!.name },
        needsCover: cover,
      }));
    fc.assert(
      fc.property(anyEntry, (e) => {
        expect(queueRowKeys(bytesOf(JSON.stringify(e)))).toEqual(keysOf(e));
        const { id, ...rest } = e;
        expect(queueRowKeys(bytesOf(JSON.stringify({ ...rest, id })))).toEqual(keysOf(e)); // id not first: parsed
      }),
      { numRuns: 500 },
    );
    const tricky = { ...base, caseRef: '","teamId":"south', assignee: { id: 'a\\"b', name: ',"assignee":null' } };
    expect(queueRowKeys(bytesOf(JSON.stringify(tricky)))).toEqual(keysOf(tricky));
  });

  it('serialises again a row not stored as JSON.stringify writes it (score not last)', () => {
    const { score, ...rest } = base;
    const moved = JSON.stringify({ score, ...rest });
    expect(queueRowsJson(pageOf([base], [moved])).toString()).toBe(answeredRows([base]));
    // Not a number last, or a nested object's score last: not cut, serialised again.
    for (const odd of [
      { ...base, score: '1764666000000' },
      { ...base, score: null },
      { ...rest, extra: { score: 1 } },
    ] as unknown as QueueEntry[]) {
      const { score: _score, ...row } = odd;
      expect(queueRowsJson(pageOf([odd])).toString()).toBe(`[${JSON.stringify(row)}]`);
    }
  });
});

describe('alert pages', () => {
  it("pages a manager's alerts highest level first, then oldest, from the routing index", async () => {
    const [a, b, c, d] = [uuid(), uuid(), uuid(), uuid()];
    for (const [i, id] of [a, b, c, d].entries()) await drive.at(i).submit(id, { teamId: i === 3 ? 'south' : 'north' }, i + 1);
    const escA = await drive.at(10).escalate(a);
    const escB = await drive.at(11).escalate(b);
    const escC = await drive.at(12).escalate(c);
    await drive.at(13).escalate(d); // south's
    await drive.at(22).advance(b, escB, 1); // level 2: first for everyone who sees it
    await project();

    const alerts = new AlertsRepository(redis);
    const northManager = { role: 'team_manager', teamId: 'north' };
    const pages = await walk((after) => alerts.pageForUser(northManager, { limit: 2, after }));
    expect(pages.map((p) => p.map((x) => x.escalationId))).toEqual([[escB, escA], [escC]]);
    expect((await alerts.pageForUser({ role: 'service_manager' }, { limit: 10 })).items.map((x) => x.escalationId)).toEqual([escB]);
    expect(await alerts.pageForUser({ role: 'officer', teamId: 'north' }, { limit: 10 })).toEqual({ items: [], next: null });

    await drive.at(30).respond(b); // resolved: leaves every routing index
    await project();
    expect((await alerts.forUser(northManager)).map((x) => x.escalationId)).toEqual([escA, escC]);
    expect(await redis.zcard(keys.roleAlerts('service_manager'))).toBe(0);
  });
});
