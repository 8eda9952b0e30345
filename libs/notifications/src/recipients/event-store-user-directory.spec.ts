import { SqliteEventStore } from '@send/event-store';
import { registerStaff, registerUser, until } from '../testing/users';
import { EventStoreUserDirectory } from './event-store-user-directory';

describe('EventStoreUserDirectory', () => {
  let store: SqliteEventStore;
  let directory: EventStoreUserDirectory;
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await directory?.stop();
    await store.close();
  });

  it('routes team managers by the request’s team and the service roles service-wide', async () => {
    const staff = await registerStaff(store);
    directory = new EventStoreUserDirectory({ store, settleMs: 30 });
    await directory.start();
    const ids = async (role: Parameters<EventStoreUserDirectory['recipientsFor']>[0], team: string | null) =>
      (await directory.recipientsFor(role, team)).map((r) => r.userId);

    expect(await ids('team_manager', 'north')).toEqual([staff.northManager]);
    expect(await ids('team_manager', 'south')).toEqual([staff.southManager]);
    expect(await ids('team_manager', null)).toEqual([]); // no team: no team manager
    expect(await ids('service_manager', 'north')).toEqual([staff.serviceManager]);
    expect(await ids('head_of_service', null)).toEqual([staff.head]);
    expect(await directory.recipientsFor('team_manager', 'north')).toEqual([
      { userId: staff.northManager, email: 'manager@example.org', role: 'team_manager', teamId: 'north' },
    ]);
  });

  it('answers from the stored accounts on first use, then follows new registrations live', async () => {
    await registerStaff(store);
    directory = new EventStoreUserDirectory({ store, settleMs: 30 });
    expect(await directory.recipientsFor('team_manager', 'north')).toHaveLength(1); // starts itself
    const another = await registerUser(store, { email: 'deputy@example.org', role: 'team_manager', teamId: 'north' });
    await until(async () => (await directory.recipientsFor('team_manager', 'north')).some((r) => r.userId === another));
    expect(directory.size).toBe(7);
  });
});
