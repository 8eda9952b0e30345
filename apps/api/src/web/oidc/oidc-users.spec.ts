import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { accountDisabled, accountEnabled, foldUserAccount, userStreamFor, userStreamId } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { verifyPassword } from '../../auth/password';
import { oidcUserId } from './claim-mapping';
import { OidcUsers, type OidcUser } from './oidc-users';

describe('council accounts in the users streams', () => {
  let dir: string;
  let store: SqliteEventStore;
  let users: OidcUsers;
  const olu: OidcUser = {
    id: oidcUserId('https://idp.example.org', 'olu'),
    email: 'olu@council.gov.uk',
    name: 'Olu Officer',
    role: 'officer',
    teamId: 'north',
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oidc-users-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    users = new OidcUsers(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers a first sign-in as a UserRegistered on the account's own stream, with no password", async () => {
    await users.registerOrUpdate(olu);
    const events = await store.read(userStreamId(olu.id));
    expect(events.map((e) => e.type)).toEqual(['UserRegistered']);
    const account = foldUserAccount(events)!;
    expect(account).toMatchObject({ userId: olu.id, email: olu.email, name: olu.name, role: 'officer', teamId: 'north', passwordHash: '' });
    expect(await verifyPassword('', account.passwordHash)).toBe(false);
    // Local sign-in reads the stream named by the email: a council account is not there.
    expect(await store.read(userStreamFor(olu.email))).toEqual([]);
  });

  it('appends nothing when the provider says the same again, and a new registration when role, team or name change', async () => {
    await users.registerOrUpdate(olu);
    await Promise.all([users.registerOrUpdate(olu), users.registerOrUpdate(olu)]);
    expect(await store.read(userStreamId(olu.id))).toHaveLength(1);

    await users.registerOrUpdate({ ...olu, role: 'team_manager', teamId: 'south', name: 'Olu Manager' });
    const events = await store.read(userStreamId(olu.id));
    expect(events).toHaveLength(2);
    expect(foldUserAccount(events)).toMatchObject({ userId: olu.id, role: 'team_manager', teamId: 'south', name: 'Olu Manager' });
  });

  it('answers that an account disabled here is disabled, whatever the provider says, until it is enabled', async () => {
    expect(await users.registerOrUpdate(olu)).toEqual({ disabled: false });
    const at = new Date('2026-12-01T10:00:00Z');
    await store.append(userStreamId(olu.id), [{ id: randomUUID(), ...accountDisabled(olu.id, 'left', 'admin', at) }], { expectedRevision: 0n });
    expect(await users.registerOrUpdate(olu)).toEqual({ disabled: true });
    expect(await users.registerOrUpdate({ ...olu, name: 'Olu Renamed' })).toEqual({ disabled: true });
    await store.append(userStreamId(olu.id), [{ id: randomUUID(), ...accountEnabled(olu.id, 'admin', at) }], { expectedRevision: 'any' });
    expect(await users.registerOrUpdate(olu)).toEqual({ disabled: false });
  });
});
