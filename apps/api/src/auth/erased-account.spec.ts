import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { personalDataErased, userStreamFor } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { SystemClock } from '@send/platform';
import { AccountsService } from './accounts.service';
import { SignInFailures } from './sign-in-limits';

/** Issue 14: an account whose person's data was erased cannot sign in, and enabling it does not bring it back. */
describe('an erased account', () => {
  let dir: string;
  let store: SqliteEventStore;
  let accounts: AccountsService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'erased-account-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    accounts = new AccountsService(store, new SystemClock(), new SignInFailures());
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cannot sign in with its old password, even after an administrator enables it', async () => {
    const email = 'sam.parent@example.org';
    const password = 'correct horse battery staple';
    await accounts.register({ email, name: 'Sam Parent', role: 'parent', teamId: null, password });
    const user = await accounts.authenticate(email, password, '127.0.0.1');
    expect(user).toMatchObject({ email, name: 'Sam Parent' });

    const erasure = personalDataErased({ erasureId: 'e-1', reason: 'erasure', by: 'manager-1', at: new Date().toISOString() });
    await store.append(userStreamFor(email), [{ id: randomUUID(), ...erasure }], { expectedRevision: 'any' });
    expect(await accounts.authenticate(email, password, '127.0.0.2')).toBeNull();

    await expect(accounts.enable(user!.id, { id: 'admin-1', email: 'admin@example.org', name: 'Admin', role: 'admin', teamId: null })).rejects.toMatchObject({
      problem: expect.objectContaining({ status: 422, type: expect.stringContaining('account-erased') }),
    });
    expect(await accounts.authenticate(email, password, '127.0.0.3')).toBeNull();
  });
});
