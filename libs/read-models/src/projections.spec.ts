import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import type { SqliteEventStore } from '@send/event-store';
import { allProjections } from './all-projections';
import { AlertsRepository } from './alerts/alerts.repository';
import { keys, PROJECTIONS_NAME } from './keys';
import { Projector } from './projector';
import { QueuesRepository } from './queues/queues.repository';
import { RequestViewsRepository } from './request-view/request-views.repository';
import { countCommands, dumpKeys, projectAll, registerUser, RequestDriver, readModelTestHooks } from './testing/read-model-fixtures';
import { TimelineRepository } from './timeline/timeline.repository';
import { UsersRepository } from './users/users.repository';

// This file's own Redis database: the read-model keys are global.
const DB = 11;

let redis: Redis;
let store: SqliteEventStore;
let drive: RequestDriver;
let projector: Projector;
let project: () => Promise<number>;
readModelTestHooks(DB, (w) => ({ redis, store, drive, projector, project } = w));

const ids = (records: { view: { id: string } }[]) => records.map((r) => r.view.id);

describe('users directory', () => {
  it('keeps each user without the password hash, indexed by role and team; names assignees', async () => {
    await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
    await registerUser(store, { id: 'manager-1', name: 'Mo Manager', role: 'team_manager', teamId: 'north' });
    await registerUser(store, { id: 'head-1', name: 'Hana Head', role: 'head_of_service' });
    const id = uuid();
    await drive.submit(id);
    await drive.at(5).assign(id, 'officer-1');
    await project();

    const users = new UsersRepository(redis);
    expect(await users.get('officer-1')).toEqual({
      awayFrom: null,
      awayUntil: null,
      id: 'officer-1',
      name: 'Olu Officer',
      email: 'officer-1@example.org',
      role: 'officer',
      teamId: 'north',
      disabled: false,
      sessionsValidFrom: null,
    });
    expect(await redis.get(keys.user('officer-1'))).not.toContain('secret-hash');
    expect((await users.byTeam('north')).map((u) => u.id)).toEqual(['manager-1', 'officer-1']);
    expect((await users.byRole('head_of_service')).map((u) => u.id)).toEqual(['head-1']);
    expect((await new RequestViewsRepository(redis).get(id))!.view.assignee).toEqual({ id: 'officer-1', name: 'Olu Officer' });
  });

  it('moves a re-registered user between role and team indexes', async () => {
    await registerUser(store, { id: 'u1', name: 'U', role: 'officer', teamId: 'north' });
    await registerUser(store, { id: 'u1', name: 'U', role: 'team_manager', teamId: 'south' });
    await project();
    const users = new UsersRepository(redis);
    expect(await users.byRole('officer')).toEqual([]);
    expect(await users.byTeam('north')).toEqual([]);
    expect((await users.byTeam('south')).map((u) => u.role)).toEqual(['team_manager']);
  });

  it('reads a role or team in one command: every member with a record, whatever its id holds, and none without one', async () => {
    // Ids as an identity provider may make them: SORT's GET pattern takes the member as it is.
    await registerUser(store, { id: 'oidc|a*b->c:1', name: 'Ada', role: 'team_manager', teamId: 'north' });
    await registerUser(store, { id: 'officer-2', name: 'Bo', role: 'team_manager', teamId: 'north' });
    await project();
    await redis.sadd(keys.usersByTeam('north'), 'no-record');
    const users = new UsersRepository(redis);
    const commands = await countCommands(redis, DB, async () => {
      expect((await users.byTeam('north')).map((u) => u.id)).toEqual(['oidc|a*b->c:1', 'officer-2']);
      expect((await users.byRole('team_manager')).map((u) => u.name)).toEqual(['Ada', 'Bo']);
      expect(await users.byTeam('nobody')).toEqual([]);
    });
    expect(commands).toEqual(['sort', 'sort', 'sort']);
  });
});

describe('timeline', () => {
  it('lists every event oldest first with the actor role and no contact details', async () => {
    const id = uuid();
    await drive.submit(id);
    await drive.at(10).attempt(id);
    await drive.at(20).assign(id, 'officer-1');
    await drive.at(30).callBackFailed(id);
    await drive.at(40).respond(id);
    await drive.at(50).resolve(id);
    await project();

    const timeline = await new TimelineRepository(redis).get(id);
    expect(timeline.map((e) => [e.type, e.actor.role])).toEqual([
      ['ContactRequestSubmitted', 'parent'],
      ['ContactAttemptRecorded', 'parent'],
      ['RequestAssigned', 'team_manager'],
      ['CallBackFailed', 'officer'],
      ['OfficerResponded', 'officer'],
      ['RequestResolved', 'officer'],
    ]);
    // Every event at its own instant (the assignment too: it carries `at`), not when it was recorded.
    const when = (s: number) => drive.at(s).now.toISOString();
    expect(timeline.map((e) => e.at)).toEqual([when(0), when(10), when(20), when(30), when(40), when(50)]);
    expect(timeline[0].data).toMatchObject({ reference: 'SEND-2026-000001', requesterRole: 'parent', subject: 'Assessment decision' });
    const serialized = JSON.stringify(timeline);
    for (const secret of ['Sam Parent', 'sam@example.org', '07700900123', 'parent-user-1', 'schemaVersion'])
      expect(serialized).not.toContain(secret);
    expect(timeline[4].data).toMatchObject({ officerId: 'officer-1', channel: 'phone', summary: 'Called back.' });
  });

  it('gives timer events the system role', async () => {
    const id = uuid();
    await drive.submit(id);
    await drive.at(101).checkDeadline(id, 'first_response');
    await project();
    const timeline = await new TimelineRepository(redis).get(id);
    expect(timeline.slice(1).map((e) => [e.type, e.actor.role])).toEqual([
      ['SlaBreached', 'system'],
      ['EscalationRaised', 'system'],
    ]);
    expect(timeline[2].data).toMatchObject({ level: 1, reason: 'sla_breached', notifyRole: 'team_manager' });
  });
});

describe('queues', () => {
  it('orders an officer queue escalated first, then earliest due', async () => {
    const [late, early, escalated, urgent] = [uuid(), uuid(), uuid(), uuid()];
    await drive.at(0).submit(late, {}, 1); // due +100
    await drive.at(-50).submit(early, {}, 2); // due +50
    await drive.at(-20).submit(escalated, { category: 'complaint' }, 3); // due +180, escalated below
    await drive.at(0).submit(urgent, { priority: 'urgent' }, 4); // due +50, like early but later in order of due? equal: same instant
    for (const id of [late, early, escalated, urgent]) await drive.at(1).assign(id, 'officer-1');
    await drive.at(2).escalate(escalated);
    await project();

    const queue = ids(await new QueuesRepository(redis).officerQueue('officer-1'));
    expect(queue[0]).toBe(escalated);
    expect(queue.slice(1, 3).sort()).toEqual([early, urgent].sort()); // both due at +50
    expect(queue[3]).toBe(late);
  });

  it('puts unassigned requests on their team queue (or unrouted), moves them to the officer on assignment, off on resolve, back on reopen', async () => {
    const [a, b] = [uuid(), uuid()];
    await drive.submit(a, { teamId: 'north' }, 1);
    await drive.submit(b, {}, 2);
    await project();
    const queues = new QueuesRepository(redis);
    expect(ids(await queues.teamQueue('north'))).toEqual([a]);
    expect(ids(await queues.teamQueue(null))).toEqual([b]);

    await drive.at(5).assign(a, 'officer-1', 'north');
    await drive.at(5).assign(b, 'officer-1', 'south');
    await project();
    expect(await queues.teamQueue('north')).toEqual([]);
    expect(await queues.teamQueue(null)).toEqual([]);
    expect(ids(await queues.officerQueue('officer-1')).sort()).toEqual([a, b].sort());

    await drive.at(6).assign(b, 'officer-2', 'south'); // reassigned
    await drive.at(7).resolve(a);
    await project();
    expect(await queues.officerQueue('officer-1')).toEqual([]);
    expect(ids(await queues.officerQueue('officer-2'))).toEqual([b]);

    await drive.at(8).reopen(a);
    await project();
    expect(ids(await queues.officerQueue('officer-1'))).toEqual([a]);
  });

  it('moves a request down once its escalation is resolved by a response', async () => {
    const [x, y] = [uuid(), uuid()];
    await drive.at(0).submit(x, {}, 1);
    await drive.at(10).submit(y, {}, 2);
    for (const id of [x, y]) await drive.at(11).assign(id, 'officer-1');
    await drive.at(12).escalate(y);
    await project();
    const queues = new QueuesRepository(redis);
    expect(ids(await queues.officerQueue('officer-1'))).toEqual([y, x]);
    await drive.at(13).respond(y); // resolves the escalation; resolution due is now the running clock
    await project();
    expect(ids(await queues.officerQueue('officer-1'))).toEqual([x, y]);
  });
});

describe('alerts', () => {
  it('routes by level, role and team; acknowledged stays listed; resolved leaves every list', async () => {
    const [north, south] = [uuid(), uuid()];
    await drive.submit(north, { teamId: 'north' }, 1);
    await drive.submit(south, { teamId: 'south' }, 2);
    const escNorth = await drive.at(5).escalate(north);
    const escSouth = await drive.at(6).escalate(south);
    await project();

    const alerts = new AlertsRepository(redis);
    const northManager = { role: 'team_manager', teamId: 'north' };
    const serviceManager = { role: 'service_manager', teamId: null };
    const head = { role: 'head_of_service', teamId: null };
    expect(await alerts.forUser(northManager)).toEqual([
      {
        escalationId: escNorth,
        requestId: north,
        reference: 'SEND-2026-000001',
        level: 1,
        reason: 'repeated_unanswered',
        unansweredCount: 3,
        raisedAt: drive.at(5).now.toISOString(),
        status: 'open',
        teamId: 'north',
        notifyRole: 'team_manager',
      },
    ]);
    expect((await alerts.forUser({ role: 'team_manager', teamId: 'south' })).map((a) => a.escalationId)).toEqual([escSouth]);
    expect(await alerts.forUser(serviceManager)).toEqual([]);
    expect(await alerts.forUser({ role: 'officer', teamId: 'north' })).toEqual([]);

    // north: no acknowledgement within PT10S -> level 2; then PT30S -> level 3
    await drive.at(16).advance(north, escNorth, 1);
    await drive.at(17).attempt(north); // counted on the open escalation
    await project();
    expect((await alerts.forUser(serviceManager)).map((a) => [a.escalationId, a.level, a.unansweredCount])).toEqual([[escNorth, 2, 4]]);
    expect((await alerts.forUser(northManager)).map((a) => a.level)).toEqual([2]);
    expect(await alerts.forUser(head)).toEqual([]);
    await drive.at(50).advance(north, escNorth, 2);
    await drive.at(51).acknowledge(south, escSouth);
    await project();
    expect((await alerts.forUser(head)).map((a) => [a.escalationId, a.level, a.notifyRole])).toEqual([[escNorth, 3, 'head_of_service']]);
    expect((await alerts.forUser({ role: 'team_manager', teamId: 'south' })).map((a) => a.status)).toEqual(['acknowledged']);

    await drive.at(60).respond(north);
    await drive.at(61).resolve(south);
    await project();
    for (const user of [northManager, serviceManager, head, { role: 'team_manager', teamId: 'south' }])
      expect(await alerts.forUser(user)).toEqual([]);
    expect((await alerts.get(escNorth))?.status).toBe('resolved');
    // Two raised at level 1, north advanced to 2 then 3; resolving takes nothing back.
    expect(await alerts.raisedByLevel(3)).toEqual([2, 1, 1]);
  });

  it('writes only the count when a family calls again on an open escalation: no index or score is sent again', async () => {
    const id = uuid();
    await drive.submit(id, { teamId: 'north' }, 1);
    const esc = await drive.at(5).escalate(id);
    await project();
    const before = await dumpKeys(redis);
    await drive.at(6).attempt(id);
    const commands = await countCommands(redis, DB, () => project());
    // The record, its dashboard row and queue row, the alert: one MSET; the timeline: one RPUSH.
    expect(commands.filter((c) => !['watch', 'get', 'mget', 'multi', 'exec', 'set'].includes(c)).sort()).toEqual(['mset', 'rpush']);
    expect((await new AlertsRepository(redis).get(esc))?.unansweredCount).toBe(4);
    // Every index (queues, alerts open / routed / raised, request lists) as it was; only the timeline grew.
    const indexes = (dump: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(dump).filter(([key, value]) => Array.isArray(value) && key !== keys.timeline(id)));
    expect(indexes(await dumpKeys(redis))).toEqual(indexes(before));
  });

  it('routes level 1 of a request with no team to the service managers (there is no team manager to tell)', async () => {
    const unrouted = uuid();
    await drive.submit(unrouted, {}, 1);
    const esc = await drive.at(5).escalate(unrouted);
    await project();
    const alerts = new AlertsRepository(redis);
    expect((await alerts.forUser({ role: 'service_manager', teamId: null })).map((a) => [a.escalationId, a.level])).toEqual([[esc, 1]]);
    expect(await alerts.forUser({ role: 'team_manager', teamId: 'north' })).toEqual([]);
    expect(await alerts.forUser({ role: 'head_of_service', teamId: null })).toEqual([]);
  });
});

describe('Projector', () => {
  it('applies an event delivered twice only once (changes and checkpoint in one MULTI)', async () => {
    const id = uuid();
    await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
    await drive.submit(id);
    await drive.at(3).assign(id, 'officer-1');
    await drive.at(5).escalate(id);
    await project();
    const before = await dumpKeys(redis);
    expect(before[keys.timeline(id)]).toHaveLength(6);

    await project(); // the whole store again, as after a crash before the subscription saw its checkpoint
    const again = new Projector(PROJECTIONS_NAME, redis, allProjections()); // a fresh process: checkpoint from Redis
    await projectAll(store, again);
    expect(await dumpKeys(redis)).toEqual(before);
  });

  it('skips events of a request whose submission it never saw', async () => {
    const id = uuid();
    await drive.submit(id);
    const events = await drive.at(1).attempt(id);
    await projector.handle(events[0]);
    expect(await redis.exists(keys.request(id), keys.timeline(id))).toBe(0);
  });
});
