import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { v4 as uuid } from 'uuid';
import { ERASED } from '@send/domain';
import { EncryptingEventStore, SqliteEventStore, type DataKeyStore, type EventStore } from '@send/event-store';
import { loadConfig } from './config';
import { DATA_KEYS, createStores, dataKeysSecret } from './personal-data';
import { EVENT_STORE, PlatformModule } from './platform.module';

describe('the stores the settings choose (personal data, ADR 0016)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'platform-stores-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const submitted = (message: string) => ({
    id: uuid(),
    type: 'ContactRequestSubmitted',
    data: {
      schemaVersion: 1,
      requestId: 'r1',
      caseRef: 'C-1',
      requester: { role: 'parent', name: 'Ann', email: 'ann@example.org' },
      subject: 's',
      message,
    },
  });

  it('embedded default: encrypts, keys beside the events, the secret made once beside them (mode 0600) and reused', async () => {
    const config = loadConfig({ SQLITE_PATH: join(dir, 'events.db') });
    const { store, dataKeys } = createStores(config);
    expect(store).toBeInstanceOf(EncryptingEventStore);
    const secretFile = join(dir, 'data-keys-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(dataKeysSecret(config)).toBe(readFileSync(secretFile, 'utf8').trim());
    await store.append('contact-request-1', [submitted('MARKER-plain')], { expectedRevision: 'no_stream' });
    await store.close();

    // Another process with the same settings reads it; the raw store sees only the envelope.
    const again = createStores(config);
    expect((await again.store.read('contact-request-1'))[0].data['message']).toBe('MARKER-plain');
    const raw = new SqliteEventStore({ path: config.SQLITE_PATH });
    expect((await raw.read('contact-request-1'))[0].data).toMatchObject({ message: '', $pd: expect.stringMatching(/^pd2\./) });
    await raw.close();
    expect(await again.dataKeys!.eraseSubject('contact:ann@example.org')).toEqual(['contact-request-1']);
    expect((await again.store.read('contact-request-1'))[0].data['message']).toBe(ERASED);
    await again.store.close();
  });

  it('with PERSONAL_DATA_ENCRYPTION=false: the plain store, no keys', async () => {
    const { store, dataKeys } = createStores(loadConfig({ SQLITE_PATH: join(dir, 'events.db'), PERSONAL_DATA_ENCRYPTION: 'false' }));
    expect(store).toBeInstanceOf(SqliteEventStore);
    expect(dataKeys).toBeNull();
    await store.close();
  });

  it('PlatformModule provides DATA_KEYS beside EVENT_STORE: the keys the store reads through', async () => {
    const config = loadConfig({
      SQLITE_PATH: join(dir, 'events.db'),
      DATA_KEYS_SECRET: 'a-test-secret-that-is-long-enough-0123',
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const moduleRef = await Test.createTestingModule({ imports: [PlatformModule.forRoot(config)] }).compile();
    const store = moduleRef.get<EventStore>(EVENT_STORE);
    const keys = moduleRef.get<DataKeyStore>(DATA_KEYS);
    expect((store as EncryptingEventStore).keys).toBe(keys);
    await store.append('contact-request-2', [submitted('hello')], { expectedRevision: 'no_stream' });
    await keys.eraseScope('contact-request-2');
    expect((await store.read('contact-request-2'))[0].data['message']).toBe(ERASED);
    await moduleRef.close();
  });
});
