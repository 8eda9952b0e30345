import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { accountDisabled, userRegistered, userStreamFor } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { UsersRepository } from '@send/read-models';
import { SessionStanding } from './session-standing';

/**
 * A disabled account's session must not stand again because Redis lost the users read model (a
 * flush, a restart without persistence): until the projection is back, the account's own stream says.
 */
describe('SessionStanding with an empty users read model', () => {
  let dir: string;
  let store: SqliteEventStore;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `standing-${randomUUID()}:` });
  });
  afterAll(() => redis.disconnect());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'standing-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the account's stream: a disabled account's session falls, an active one stands", async () => {
    const registered = userRegistered({ email: 'kim@example.org', name: 'Kim', role: 'officer', teamId: 'north', passwordHash: 'x' });
    await store.append(userStreamFor('kim@example.org'), [registered], { expectedRevision: 'no_stream' });
    const standing = new SessionStanding(new UsersRepository(redis), store);
    const issuedAt = Math.floor(Date.now() / 1000);
    expect(await standing.stands(registered.data.userId, issuedAt)).toBe(true);

    await store.append(userStreamFor('kim@example.org'), [{ id: randomUUID(), ...accountDisabled(registered.data.userId, 'left', 'admin-1', new Date()) }], {
      expectedRevision: 'any',
    });
    const later = new SessionStanding(new UsersRepository(redis), store); // a fresh process: nothing cached
    expect(await later.stands(registered.data.userId, issuedAt)).toBe(false);
  });
});
