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
    expect(a.keyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const same = { keyId: a.keyId, key: a.key };
    expect(await keys.keyFor('contact:ann@example.org', 'contact-request-1')).toMatchObject(same);
    expect(await sut.open().keyFor('contact:ann@example.org', 'contact-request-1')).toMatchObject(same);
    // The new-stream hint skips a lookup, never the rule: still the one key.
    expect(await sut.open().keyFor('contact:ann@example.org', 'contact-request-1', { newScope: true })).toMatchObject(same);
    const other = await keys.keyFor('contact:ann@example.org', 'case-C-1');
    const bob = await keys.keyFor('contact:bob@example.org', 'contact-request-1');
    expect(new Set([a.keyId, other.keyId, bob.keyId]).size).toBe(3);
    expect(await keys.keyById(a.keyId)).toEqual(a.key);
    expect(await keys.keyById('no-such-key-id-000000')).toBeNull();
  });

  it('gives every racer the same key when instances make it at once (with or without the new-stream hint)', async () => {
    const others = [keys, sut.open(), sut.open()];
    const made = await Promise.all(others.flatMap((k) => [k.keyFor('u-1', 's-1'), k.keyFor('u-1', 's-1', { newScope: true })]));
    expect(new Set(made.map((k) => k.keyId)).size).toBe(1);
    // Whoever made it, at most one instance was told it made the stream's first key.
    const claims = others.filter((_, i) => made[2 * i].ownsScope || made[2 * i + 1].ownsScope);
    expect(claims.length).toBeLessThanOrEqual(1);
  });

  it("says a new key is its stream's first only when it is, as subjectOfScope does (where the store can tell)", async () => {
    const ann = await keys.keyFor('contact:ann@example.org', 'contact-request-1', { newScope: true });
    const officer = await keys.keyFor('u-officer', 'contact-request-1');
    const again = await sut.open().keyFor('contact:ann@example.org', 'contact-request-1');
    expect(officer.ownsScope).toBeFalsy();
    expect(again.ownsScope).toBeFalsy(); // found, not made
    if (ann.ownsScope !== undefined) expect(ann.ownsScope).toBe(true);
    expect(await keys.subjectOfScope('contact-request-1')).toBe('contact:ann@example.org');
    // After the owner's key is erased the next first key owns the stream again.
    await keys.eraseSubject('contact:ann@example.org');
    await keys.eraseSubject('u-officer');
    const bob = await keys.keyFor('contact:bob@example.org', 'contact-request-1');
    if (bob.ownsScope !== undefined) expect(bob.ownsScope).toBe(true);
    expect(await keys.subjectOfScope('contact-request-1')).toBe('contact:bob@example.org');
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
    // Many at once (a cold reader's page; both stores can): the erased and the unknown as null.
    expect(keys.keysById).toBeDefined();
    expect(await keys.keysById!([])).toEqual(new Map());
    expect(await keys.keysById!([ann1.keyId, bob.keyId, 'no-such-key-id-000000'])).toEqual(
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

  it("erases one stream's keys made before a time, of some subjects or of all (replaying an erasure after a restore)", async () => {
    const ann = await keys.keyFor('contact:ann@example.org', 'case-C-1');
    const bob = await keys.keyFor('contact:bob@example.org', 'case-C-1');
    const annElsewhere = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    await new Promise((r) => setTimeout(r, 5));
    const erasedAt = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const later = await keys.keyFor('contact:cat@example.org', 'case-C-1');
    // Only Ann's, in this stream: Bob's, Ann's elsewhere and a key made after the time stay.
    expect(await keys.eraseScopeBefore('case-C-1', erasedAt, ['contact:ann@example.org', 'contact:nobody@example.org'])).toBe(1);
    expect(await sut.open().keyById(ann.keyId)).toBeNull();
    expect(await keys.keyById(bob.keyId)).toEqual(bob.key);
    expect(await keys.keyById(annElsewhere.keyId)).toEqual(annElsewhere.key);
    // All subjects' keys made before the time; the later one stays; a second run deletes nothing.
    expect(await keys.eraseScopeBefore('case-C-1', erasedAt)).toBe(1);
    expect(await keys.keyById(bob.keyId)).toBeNull();
    expect(await keys.keyById(later.keyId)).toEqual(later.key);
    expect(await keys.eraseScopeBefore('case-C-1', erasedAt)).toBe(0);
    expect(await keys.scopesOf('contact:ann@example.org')).toEqual(['contact-request-1']);
  });

  it("lists a subject's key ids, and erases keys by id (what an erasure records, and a replay deletes again)", async () => {
    const ann1 = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    const ann2 = await keys.keyFor('contact:ann@example.org', 'case-C-1');
    const bob = await keys.keyFor('contact:bob@example.org', 'case-C-1');
    expect(await keys.keyIdsOf('contact:ann@example.org')).toEqual([ann1.keyId, ann2.keyId]);
    expect(await keys.keyIdsOf('contact:nobody@example.org')).toEqual([]);
    expect(await keys.eraseKeys([ann1.keyId, ann2.keyId, 'no-such-key-id-000000'])).toBe(2);
    expect(await sut.open().keyById(ann2.keyId)).toBeNull();
    expect(await keys.keyById(bob.keyId)).toEqual(bob.key);
    expect(await keys.eraseKeys([ann1.keyId])).toBe(0);
    expect(await keys.eraseKeys([])).toBe(0);
  });

  it('refuses, clearly, to open keys with another secret', async () => {
    const a = await keys.keyFor('u-1', 's-1');
    const wrong = sut.open('another-secret-that-is-long-enough-0123456789');
    await expect(wrong.keyById(a.keyId)).rejects.toThrow(/does not open with this DATA_KEYS_SECRET/);
  });

  it("through the cache: a stream's first key tells its owner (no query), forgotten on erasure", async () => {
    const cached = new CachedDataKeyStore(keys);
    await cached.keyFor('contact:ann@example.org', 'contact-request-1', { newScope: true });
    const made = await keys.keyFor('contact:ann@example.org', 'contact-request-1');
    // The SQLite store tells (the PostgreSQL one does not, see ownsScope): then the owner is known at once.
    if ((await sut.open().keyFor('u-x', 'scope-probe', { newScope: true })).ownsScope)
      expect(cached.cachedOwner('contact-request-1')).toBe('contact:ann@example.org');
    expect(await cached.subjectOfScope('contact-request-1')).toBe('contact:ann@example.org');
    expect(cached.cachedKeyFor('contact:ann@example.org', 'contact-request-1')).toMatchObject({ keyId: made.keyId });
    await cached.eraseSubject('contact:ann@example.org');
    expect(cached.cachedOwner('contact-request-1')).toBeUndefined();
    expect(cached.cachedKeyFor('contact:ann@example.org', 'contact-request-1')).toBeUndefined();
    expect(await cached.subjectOfScope('contact-request-1')).toBeNull();
  });

  it('makes key ids that sort by the time they were made (new keys land together in the key_id index)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await keys.keyFor(`u-${i}`, `s-${i}`)).keyId);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect([...ids].sort()).toEqual(ids);
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
