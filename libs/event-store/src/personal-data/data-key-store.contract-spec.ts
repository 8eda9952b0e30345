import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { v4 as uuid } from 'uuid';
import type { DataKeyStore } from './data-key-store.port';
import { SqliteDataKeyStore } from './sqlite-data-key-store';
import { PostgresDataKeyStore } from './postgres-data-key-store';
import { CachedDataKeyStore } from './cached-data-key-store';
import { TEST_DATA_KEYS_SECRET, testPostgres } from '../testing/event-stores';

/** One contract, both key stores (as the event store's): `open` gives another instance on the same keys. */
interface KeysUnderTest {
  open(secret?: string): DataKeyStore;
  cleanup(): Promise<void>;
}
type KeysFactory = () => Promise<KeysUnderTest>;

const opened: DataKeyStore[] = [];
const track = (s: DataKeyStore) => (opened.push(s), s);

const sqlite: KeysFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-keys-'));
  const path = join(dir, 'events.sqlite');
  return {
    open: (secret = TEST_DATA_KEYS_SECRET) => track(new SqliteDataKeyStore({ path, secret })),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
};

const runnable: [string, KeysFactory][] = [['sqlite', sqlite]];
const postgres = testPostgres();
if ('skipped' in postgres) {
  describe.skip(`DataKeyStore contract: postgres (${postgres.skipped})`, () =>
    it('runs the same contract against PostgreSQL', () => undefined));
} else {
  runnable.push([
    'postgres',
    async () => {
      const url = await postgres.url();
      const schema = `send_test_keys_${uuid().replace(/-/g, '').slice(0, 16)}`;
      return {
        open: (secret = TEST_DATA_KEYS_SECRET) => track(new PostgresDataKeyStore({ url, schema, secret })),
        cleanup: async () => {
          const client = new Client({ connectionString: url });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  ]);
  afterAll(() => postgres.stop());
}

describe.each(runnable)('DataKeyStore contract: %s', (_name, make) => {
  let sut: KeysUnderTest;
  let keys: DataKeyStore;
  beforeEach(async () => {
    sut = await make();
    keys = sut.open();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await sut.cleanup();
  });

  it('makes one key per (subject, stream) on first use and gives the same one after, also to another instance', async () => {
    const a = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    expect(a.key).toHaveLength(32);
    expect(await keys.keyFor('contact:ann@example.org', 'contact-request-1')).toEqual(a);
    expect(await sut.open().keyFor('contact:ann@example.org', 'contact-request-1')).toEqual(a);
    const other = await keys.keyFor('contact:ann@example.org', 'case-C-1');
    const bob = await keys.keyFor('contact:bob@example.org', 'contact-request-1');
    expect(new Set([a.keyId, other.keyId, bob.keyId]).size).toBe(3);
    expect(await keys.keyById(a.keyId)).toEqual(a.key);
    expect(await keys.keyById('no-such-key-id-000000')).toBeNull();
  });

  it('gives every racer the same key when instances make it at once', async () => {
    const others = [keys, sut.open(), sut.open()];
    const made = await Promise.all(others.flatMap((k) => [k.keyFor('u-1', 's-1'), k.keyFor('u-1', 's-1')]));
    expect(new Set(made.map((k) => k.keyId)).size).toBe(1);
  });

  it("knows a stream's owner (its first subject) and a subject's streams", async () => {
    expect(await keys.subjectOfScope('contact-request-1')).toBeNull();
    await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    await keys.keyFor('u-officer', 'contact-request-1');
    await keys.keyFor('contact:ann@example.org', 'case-C-1');
    expect(await keys.subjectOfScope('contact-request-1')).toBe('contact:ann@example.org');
    expect(await keys.scopesOf('contact:ann@example.org')).toEqual(['contact-request-1', 'case-C-1']);
    expect(await keys.scopesOf('contact:nobody@example.org')).toEqual([]);
  });

  it("erases every key of a subject and nobody else's, returning the streams it held", async () => {
    const ann1 = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    const ann2 = await keys.keyFor('contact:ann@example.org', 'case-C-1');
    const bob = await keys.keyFor('contact:bob@example.org', 'case-C-1');
    expect(await keys.eraseSubject('contact:ann@example.org')).toEqual(['contact-request-1', 'case-C-1']);
    expect(await keys.keyById(ann1.keyId)).toBeNull();
    expect(await sut.open().keyById(ann2.keyId)).toBeNull();
    expect(await keys.keyById(bob.keyId)).toEqual(bob.key);
    // Many at once (a cold reader's page), where the store can: the erased and the unknown as null.
    if (keys.keysById)
      expect(await keys.keysById([ann1.keyId, bob.keyId, 'no-such-key-id-000000'])).toEqual(
        new Map([
          [ann1.keyId, null],
          [bob.keyId, bob.key],
          ['no-such-key-id-000000', null],
        ]),
      );
    expect(await keys.scopesOf('contact:ann@example.org')).toEqual([]);
    expect(await keys.subjectOfScope('contact-request-1')).toBeNull();
    expect(await keys.eraseSubject('contact:ann@example.org')).toEqual([]);
  });

  it('erases every key of one stream (retention), counting them', async () => {
    const a = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    await keys.keyFor('u-2', 'contact-request-1');
    const kept = await keys.keyFor('contact:ann@example.org', 'contact-request-2');
    expect(await keys.eraseScope('contact-request-1')).toBe(2);
    expect(await keys.keyById(a.keyId)).toBeNull();
    expect(await keys.keyById(kept.keyId)).toEqual(kept.key);
    expect(await keys.scopesOf('contact:ann@example.org')).toEqual(['contact-request-2']);
  });

  it('refuses, clearly, to open keys with another secret', async () => {
    const a = await keys.keyFor('u-1', 's-1');
    const wrong = sut.open('another-secret-that-is-long-enough-0123456789');
    await expect(wrong.keyById(a.keyId)).rejects.toThrow(/does not open with this DATA_KEYS_SECRET/);
  });

  it('through the cache: an erasure made there is seen at once', async () => {
    const cached = new CachedDataKeyStore(keys);
    const a = await cached.keyFor('u-1', 's-1');
    expect(cached.cachedKey(a.keyId)).toEqual(a.key);
    await cached.eraseSubject('u-1');
    expect(cached.cachedKey(a.keyId)).toBeUndefined();
    expect(await cached.keyById(a.keyId)).toBeNull();
  });
});
