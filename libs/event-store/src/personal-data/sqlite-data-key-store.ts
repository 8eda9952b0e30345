import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataKey, DataKeyStore, KeyForHint, NewDataKeyRow } from './data-key-store.port';
import { KeyEncryptionKey, newDataKey, newKeyId } from './data-key-crypto';
import { SQLITE_CACHE_KIB } from '../sqlite/sqlite-cache';
import {
  SQLITE_ANY_DATA_KEY_IN_SCOPE,
  SQLITE_DATA_KEYS_SCHEMA,
  SQLITE_INSERT_DATA_KEY_OR_IGNORE,
  dataKeyRowValues,
} from './sqlite-data-keys-table';

export { SQLITE_DATA_KEYS_SCHEMA };

export interface SqliteDataKeyStoreOptions {
  /** The events' SQLite file (the keys live beside them), or ':memory:'. */
  path: string;
  /** DATA_KEYS_SECRET: the keys are stored wrapped under a key derived from it. */
  secret: string;
  busyTimeoutMs?: number;
  /** Its connection's page cache in KiB. Default SQLITE_CACHE_KIB (ADR 0018, 2026-12-02). */
  cacheSizeKib?: number;
}

interface KeyRow {
  key_id: string;
  wrapped_key: Buffer;
}

/**
 * The embedded default's key store: a table in the events' SQLite file, on a connection of its own.
 * `secure_delete` makes SQLite overwrite a deleted key's bytes, and a TRUNCATE checkpoint after each
 * erasure empties the WAL, so no page of the file or its -wal keeps an erased key (wrapped or not).
 */
export class SqliteDataKeyStore implements DataKeyStore {
  /** The file, for an event store on the same file to store new streams' keys with their first events. */
  readonly location?: string;
  private readonly db: Database.Database;
  private readonly kek: KeyEncryptionKey;
  private readonly stmt: {
    get: Database.Statement<[string, string], KeyRow>;
    insert: Database.Statement<[string, string, Buffer, string, Buffer, string]>;
    byId: Database.Statement<[string], KeyRow>;
    byIds: Database.Statement<[string], KeyRow>;
    owner: Database.Statement<[string], { subject_sealed: Buffer }>;
    anyInScope: Database.Statement<[string], { one: number }>;
    scopesOf: Database.Statement<[string], { scope: string }>;
    deleteSubject: Database.Statement<[string]>;
    deleteScope: Database.Statement<[string]>;
    keyIdsOf: Database.Statement<[string], { key_id: string }>;
    deleteKeys: Database.Statement<[string]>;
    deleteScopeBefore: Database.Statement<[string, string]>;
    deleteScopeSubjectsBefore: Database.Statement<[string, string, string]>;
  };

  constructor(options: SqliteDataKeyStoreOptions) {
    this.kek = new KeyEncryptionKey(options.secret);
    const memory = options.path === ':memory:' || options.path === '';
    const file = memory ? ':memory:' : resolve(options.path);
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    if (!memory) this.location = `sqlite:${file}`;
    const timeout = options.busyTimeoutMs ?? 5000;
    this.db = new Database(file, { timeout });
    this.db.pragma(`busy_timeout = ${Math.trunc(timeout)}`);
    if (!memory) this.db.pragma('journal_mode = WAL');
    // NORMAL, not FULL: the keys share the events' WAL, and its frames are written in commit order,
    // so the fsync of the first event appended under a new key (the store's FULL) makes the key
    // durable too; a power cut can lose a new key only with every event written after it. An
    // erasure is made durable by its checkpoint, which syncs the database file.
    this.db.pragma('synchronous = NORMAL');
    // Per connection: every delete made here overwrites the deleted bytes with zeros.
    this.db.pragma('secure_delete = ON');
    // The page cache bounded as the event store's connections are (ADR 0018, 2026-12-02).
    this.db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKib ?? SQLITE_CACHE_KIB)}`);
    this.db.exec(SQLITE_DATA_KEYS_SCHEMA);
    this.stmt = {
      get: this.db.prepare('SELECT key_id, wrapped_key FROM data_keys WHERE subject_hash = ? AND scope = ?'),
      insert: this.db.prepare(SQLITE_INSERT_DATA_KEY_OR_IGNORE),
      byId: this.db.prepare('SELECT key_id, wrapped_key FROM data_keys WHERE key_id = ?'),
      byIds: this.db.prepare('SELECT key_id, wrapped_key FROM data_keys WHERE key_id IN (SELECT value FROM json_each(?))'),
      owner: this.db.prepare('SELECT subject_sealed FROM data_keys WHERE scope = ? ORDER BY seq LIMIT 1'),
      anyInScope: this.db.prepare(SQLITE_ANY_DATA_KEY_IN_SCOPE),
      scopesOf: this.db.prepare('SELECT scope FROM data_keys WHERE subject_hash = ? ORDER BY seq'),
      deleteSubject: this.db.prepare('DELETE FROM data_keys WHERE subject_hash = ?'),
      deleteScope: this.db.prepare('DELETE FROM data_keys WHERE scope = ?'),
      keyIdsOf: this.db.prepare('SELECT key_id FROM data_keys WHERE subject_hash = ? ORDER BY seq'),
      deleteKeys: this.db.prepare('DELETE FROM data_keys WHERE key_id IN (SELECT value FROM json_each(?))'),
      // created_at is an ISO instant (UTC, milliseconds): it compares as text in time order.
      deleteScopeBefore: this.db.prepare('DELETE FROM data_keys WHERE scope = ? AND created_at < ?'),
      deleteScopeSubjectsBefore: this.db.prepare(
        'DELETE FROM data_keys WHERE scope = ? AND created_at < ? AND subject_hash IN (SELECT value FROM json_each(?))',
      ),
    };
  }

  async keyFor(subjectId: string, scope: string, hint?: KeyForHint): Promise<DataKey> {
    const hash = this.kek.subjectHash(subjectId);
    // A new stream's key is looked for only inside the batch's transaction (INSERT OR IGNORE, then
    // read back): the lookup out here missed for every new stream (~15% of what making a key cost).
    const row = hint?.newScope ? undefined : this.stmt.get.get(hash, scope);
    if (row) return { keyId: row.key_id, key: this.kek.unwrap(row.key_id, row.wrapped_key) };
    // New keys are made in one transaction per turn of the event loop (a commit each would cost
    // more than the encryption): the writers of one moment share it, as appends share a group commit.
    return new Promise<DataKey>((resolve, reject) => {
      this.pendingKeys.push({ subjectId, hash, scope, resolve, reject });
      if (this.pendingKeys.length === 1) setImmediate(() => this.makePendingKeys());
    });
  }

  private pendingKeys: {
    subjectId: string;
    hash: string;
    scope: string;
    resolve: (key: DataKey) => void;
    reject: (error: unknown) => void;
  }[] = [];

  private makePendingKeys(): void {
    const batch = this.pendingKeys;
    this.pendingKeys = [];
    const made = new Map<string, DataKey>();
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            if (made.has(`${p.hash}\u0000${p.scope}`)) continue;
            const { key: fresh, row } = this.makeKey(p.subjectId, p.hash, p.scope);
            // The scope's first key (one probe of the scope index, no decryption): its subject owns
            // the stream, which the cache then knows without a subjectOfScope query and an unseal.
            const ownsScope = this.stmt.anyInScope.get(p.scope) === undefined;
            // OR IGNORE: another process made this subject's key in this stream first; theirs is the one.
            const inserted = this.stmt.insert.run(...dataKeyRowValues(row));
            if (inserted.changes === 1) {
              made.set(`${p.hash}\u0000${p.scope}`, ownsScope ? { ...fresh, ownsScope } : fresh);
              continue;
            }
            const theirs = this.stmt.get.get(p.hash, p.scope)!;
            made.set(`${p.hash}\u0000${p.scope}`, { keyId: theirs.key_id, key: this.kek.unwrap(theirs.key_id, theirs.wrapped_key) });
          }
        })
        .immediate();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) p.resolve(made.get(`${p.hash}\u0000${p.scope}`)!);
  }

  newKey(subjectId: string, scope: string): { key: DataKey; row: NewDataKeyRow } {
    return this.makeKey(subjectId, this.kek.subjectHash(subjectId), scope);
  }

  /** A new key and its row, the subject's hash given (keyFor has it already: an HMAC each was twice). */
  private makeKey(subjectId: string, subjectHash: string, scope: string): { key: DataKey; row: NewDataKeyRow } {
    const keyId = newKeyId();
    const key = newDataKey();
    return {
      key: { keyId, key },
      row: {
        keyId,
        subjectHash,
        subjectSealed: this.kek.sealSubject(subjectId),
        scope,
        wrappedKey: this.kek.wrap(keyId, key),
        createdAt: new Date().toISOString(),
      },
    };
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    const row = this.stmt.byId.get(keyId);
    return row ? this.kek.unwrap(row.key_id, row.wrapped_key) : null;
  }

  /** One statement (one read of the WAL index) for a page's keys: a lookup each cost ~30 µs here. */
  async keysById(keyIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    const found = new Map<string, Buffer | null>(keyIds.map((id) => [id, null]));
    for (const row of this.stmt.byIds.all(JSON.stringify(keyIds))) found.set(row.key_id, this.kek.unwrap(row.key_id, row.wrapped_key));
    return found;
  }

  async subjectOfScope(scope: string): Promise<string | null> {
    const row = this.stmt.owner.get(scope);
    return row ? this.kek.openSubject(row.subject_sealed) : null;
  }

  async scopesOf(subjectId: string): Promise<string[]> {
    return this.stmt.scopesOf.all(this.kek.subjectHash(subjectId)).map((r) => r.scope);
  }

  async keyIdsOf(subjectId: string): Promise<string[]> {
    return this.stmt.keyIdsOf.all(this.kek.subjectHash(subjectId)).map((r) => r.key_id);
  }

  async eraseKeys(keyIds: readonly string[]): Promise<number> {
    const { changes } = this.stmt.deleteKeys.run(JSON.stringify(keyIds));
    if (changes > 0) await this.checkpoint();
    return changes;
  }

  async eraseSubject(subjectId: string): Promise<string[]> {
    const hash = this.kek.subjectHash(subjectId);
    const scopes = this.db
      .transaction(() => {
        const held = this.stmt.scopesOf.all(hash).map((r) => r.scope);
        this.stmt.deleteSubject.run(hash);
        return held;
      })
      .immediate();
    await this.checkpoint();
    return scopes;
  }

  async eraseScope(scope: string): Promise<number> {
    const { changes } = this.stmt.deleteScope.run(scope);
    await this.checkpoint();
    return changes;
  }

  async eraseScopeBefore(scope: string, madeBefore: Date, subjectIds?: readonly string[]): Promise<number> {
    const before = madeBefore.toISOString();
    const { changes } = subjectIds
      ? this.stmt.deleteScopeSubjectsBefore.run(scope, before, JSON.stringify(subjectIds.map((id) => this.kek.subjectHash(id))))
      : this.stmt.deleteScopeBefore.run(scope, before);
    // Nothing deleted (the usual case when a replay finds the keys already gone): no checkpoint to wait for.
    if (changes > 0) await this.checkpoint();
    return changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /**
   * Copies the WAL into the file and truncates it, so the pages that held the erased keys leave the
   * -wal. A reader in another connection (the worker mid-page) can hold it back: try again briefly.
   */
  private async checkpoint(): Promise<void> {
    if (this.db.memory) return;
    for (let attempt = 0; ; attempt++) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      if (result.busy === 0) return;
      if (attempt >= 50)
        throw new Error(
          'data keys: the WAL could not be checkpointed after an erasure (a reader held it for 5 s); the erasure stands, run it again to clear the WAL',
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
