import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { accountDisabled, accountEnabled, userStreamId } from '@send/domain';
import { readAllToHead, SqliteEventStore } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { registerStaff, registerUser } from '../testing/users';
import { ReadModelRecipientDirectory } from './read-model-recipient-directory';

const DB = 7; // this file's own Redis database: the users read model's rm:* keys are global

let server: { url: string; stop(): Promise<void> };
let redis: Redis;
let store: SqliteEventStore;
beforeAll(async () => {
  server = await testRedis();
  redis = new Redis(server.url, { db: DB, maxRetriesPerRequest: 3 });
});
afterAll(async () => {
  await redis?.flushdb();
  await redis?.quit();
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushdb();
  store = new SqliteEventStore({ path: ':memory:' });
});
afterEach(() => store.close());

/** What the worker's projections do: every event so far into the read models. */
const project = async () => {
  const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
  await readAllToHead(store, (e) => projector.handle(e));
};

describe('ReadModelRecipientDirectory', () => {
  it('routes team managers by the request’s team and the service roles service-wide, from the users read model', async () => {
    const staff = await registerStaff(store);
    await project();
    const directory = new ReadModelRecipientDirectory(redis);
    const ids = async (role: Parameters<ReadModelRecipientDirectory['recipientsFor']>[0], team: string | null) =>
      (await directory.recipientsFor(role, team)).map((r) => r.userId);

    expect(await ids('team_manager', 'north')).toEqual([staff.northManager]); // not the north officer
    expect(await ids('team_manager', 'south')).toEqual([staff.southManager]);
    expect(await ids('team_manager', null)).toEqual([]); // no team: no team manager
    expect(await ids('service_manager', 'north')).toEqual([staff.serviceManager]);
    expect(await ids('head_of_service', null)).toEqual([staff.head]);
    expect(await directory.recipientsFor('team_manager', 'north')).toEqual([
      { userId: staff.northManager, email: 'manager@example.org', role: 'team_manager', teamId: 'north' },
    ]);
    expect(await directory.recipient(staff.officer)).toEqual({
      userId: staff.officer,
      email: 'officer@example.org',
      role: 'officer',
      teamId: 'north',
    });
    expect(await directory.recipient('nobody')).toBeNull();
  });

  it('leaves out disabled accounts, and counts them again once enabled', async () => {
    const staff = await registerStaff(store);
    const deputy = await registerUser(store, { email: 'deputy@example.org', role: 'team_manager', teamId: 'north' });
    const at = new Date('2026-12-07T10:00:00Z');
    await store.append(userStreamId(staff.northManager), [{ id: uuid(), ...accountDisabled(staff.northManager, 'left', 'admin', at) }], {
      expectedRevision: 0n,
    });
    await store.append(userStreamId(staff.head), [{ id: uuid(), ...accountDisabled(staff.head, 'suspended', 'admin', at) }], {
      expectedRevision: 0n,
    });
    await project();
    const directory = new ReadModelRecipientDirectory(redis);
    expect((await directory.recipientsFor('team_manager', 'north', await store.headPosition())).map((r) => r.userId)).toEqual([deputy]);
    expect(await directory.recipientsFor('head_of_service', null)).toEqual([]);
    expect(await directory.recipient(staff.northManager)).toBeNull();

    await store.append(userStreamId(staff.northManager), [{ id: uuid(), ...accountEnabled(staff.northManager, 'admin', at) }], {
      expectedRevision: 1n,
    });
    await project();
    expect((await directory.recipientsFor('team_manager', 'north')).map((r) => r.userId).sort()).toEqual(
      [deputy, staff.northManager].sort(),
    );
  });

  it('given the alert’s position, answers only once the projections have reached it', async () => {
    await registerStaff(store);
    await project();
    const deputy = await registerUser(store, { email: 'deputy@example.org', role: 'team_manager', teamId: 'north' });
    const alertAt = await store.headPosition(); // an alert after the deputy's registration
    const directory = new ReadModelRecipientDirectory(redis);

    const answer = directory.recipientsFor('team_manager', 'north', alertAt);
    await project();
    expect((await answer).map((r) => r.email).sort()).toEqual(['deputy@example.org', 'manager@example.org']);
    expect((await directory.recipientsFor('team_manager', 'north', alertAt)).map((r) => r.userId)).toContain(deputy);
  });

  it('fails, for the dispatcher to retry, when the projections do not reach the alert in time', async () => {
    await registerStaff(store);
    await project();
    await registerUser(store, { email: 'deputy@example.org', role: 'team_manager', teamId: 'north' });
    const directory = new ReadModelRecipientDirectory(redis, { waitMs: 30 });
    await expect(directory.recipientsFor('team_manager', 'north', await store.headPosition())).rejects.toThrow(
      /users read model is behind the alert \(projections at \d+, alert at \d+\)/,
    );
  });

  it('after Redis lost the read models, waits for the rebuild to reach where they were, whatever position it is given', async () => {
    const staff = await registerStaff(store);
    await project();
    const directory = new ReadModelRecipientDirectory(redis, { waitMs: 30 });
    expect((await directory.recipientsFor('team_manager', 'north', 0n)).map((r) => r.userId)).toEqual([staff.northManager]);

    await redis.flushdb(); // FLUSHALL while running: users and checkpoint gone, the projections start again
    // 0n: "no account changed since the read model was complete", as the dispatcher says after its first alert.
    await expect(directory.recipientsFor('team_manager', 'north', 0n)).rejects.toThrow(/projections at none/);
    const before = await store.headPosition();
    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    const all: Parameters<Projector['handle']>[0][] = [];
    await readAllToHead(store, (e) => void all.push(e));
    await projector.handle(all[0]); // the rebuild has begun, not reached `before`
    await expect(directory.recipientsFor('team_manager', 'north', 0n)).rejects.toThrow(new RegExp(`read model was at ${before} before`));

    await project();
    expect((await directory.recipientsFor('team_manager', 'north', 0n)).map((r) => r.userId)).toEqual([staff.northManager]);
  });
});
