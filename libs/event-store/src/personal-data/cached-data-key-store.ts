import { LRUCache } from 'lru-cache';
import type { DataKey, DataKeyStore, KeyForHint, NewDataKeyRow } from './data-key-store.port';

export interface DataKeyCacheOptions {
  /** Keys held at once. Default 10,000 (a key is 32 bytes). */
  max?: number;
  /**
   * How long a key is trusted without asking the store again. Default 10 s: after an erasure made
   * by another process, this one may still decrypt with the erased key for at most this long (its
   * read models get the PersonalDataErased event all the same). An erasure made through this
   * instance empties its cache at once.
   */
  ttlMs?: number;
}

/**
 * Data keys cached in-process, briefly: a projection decrypts every event it reads, and most of a
 * page's events are under a few keys. Only keys are cached (never "no such key", which an erasure
 * makes true for good anyway). The apps provide this one as DATA_KEYS and give the same instance to
 * the encrypting store, so an erasure here is seen by this process's reads at once.
 */
export class CachedDataKeyStore implements DataKeyStore {
  private readonly byId: LRUCache<string, Buffer>;
  private readonly bySubjectScope: LRUCache<string, DataKey>;
  private readonly owners: LRUCache<string, string>;

  constructor(
    readonly inner: DataKeyStore,
    options: DataKeyCacheOptions = {},
  ) {
    const max = options.max ?? 10_000;
    const ttl = options.ttlMs ?? 10_000;
    this.byId = new LRUCache({ max, ttl });
    this.bySubjectScope = new LRUCache({ max, ttl });
    this.owners = new LRUCache({ max, ttl });
  }

  get location(): string | undefined {
    return this.inner.location;
  }

  /** A key made here and stored by the event store with a new stream's first events (see remember). */
  newKey(subjectId: string, scope: string): { key: DataKey; row: NewDataKeyRow } {
    if (!this.inner.newKey) throw new TypeError('this data key store cannot make a key for an event store to store');
    return this.inner.newKey(subjectId, scope);
  }

  /** A key newKey made, once the event store has stored it: as keyFor would have cached it. */
  remember(subjectId: string, scope: string, key: DataKey): void {
    this.bySubjectScope.set(`${subjectId}\u0000${scope}`, key);
    this.byId.set(key.keyId, key.key);
    if (key.ownsScope) this.owners.set(scope, subjectId);
  }

  /** The key if cached now, without waiting (a projection decrypts a page without a promise per field). */
  cachedKey(keyId: string): Buffer | undefined {
    return this.byId.get(keyId);
  }

  /** The key if cached now, without waiting (an append under a known key needs no promise). */
  cachedKeyFor(subjectId: string, scope: string): DataKey | undefined {
    return this.bySubjectScope.get(`${subjectId}\u0000${scope}`);
  }

  /** The stream's owner if cached now (see subjectOfScope). */
  cachedOwner(scope: string): string | undefined {
    return this.owners.get(scope);
  }

  async keyFor(subjectId: string, scope: string, hint?: KeyForHint): Promise<DataKey> {
    const cacheKey = `${subjectId}\u0000${scope}`;
    const cached = this.bySubjectScope.get(cacheKey);
    if (cached) return cached;
    const key = await this.inner.keyFor(subjectId, scope, hint);
    // The stream's first key: the next event's owner-less fields (a reply's summary) need no query.
    this.remember(subjectId, scope, key);
    return key;
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    const cached = this.byId.get(keyId);
    if (cached) return cached;
    const key = await this.inner.keyById(keyId);
    if (key) this.byId.set(keyId, key);
    return key;
  }

  async keysById(keyIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    const found = new Map<string, Buffer | null>();
    const missing: string[] = [];
    for (const id of keyIds) {
      const cached = this.byId.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    if (this.inner.keysById) {
      for (const [id, key] of await this.inner.keysById(missing)) {
        found.set(id, key);
        if (key) this.byId.set(id, key);
      }
    } else await Promise.all(missing.map(async (id) => found.set(id, await this.keyById(id))));
    return found;
  }

  async subjectOfScope(scope: string): Promise<string | null> {
    const cached = this.owners.get(scope);
    if (cached !== undefined) return cached;
    const owner = await this.inner.subjectOfScope(scope);
    if (owner !== null) this.owners.set(scope, owner);
    return owner;
  }

  scopesOf(subjectId: string): Promise<string[]> {
    return this.inner.scopesOf(subjectId);
  }

  keyIdsOf(subjectId: string): Promise<string[]> {
    return this.inner.keyIdsOf(subjectId);
  }

  eraseKeys(keyIds: readonly string[]): Promise<number> {
    return this.erasing(() => this.inner.eraseKeys(keyIds));
  }

  eraseSubject(subjectId: string): Promise<string[]> {
    return this.erasing(() => this.inner.eraseSubject(subjectId));
  }

  eraseScope(scope: string): Promise<number> {
    return this.erasing(() => this.inner.eraseScope(scope));
  }

  eraseScopeBefore(scope: string, madeBefore: Date, subjectIds?: readonly string[]): Promise<number> {
    return this.erasing(() => this.inner.eraseScopeBefore(scope, madeBefore, subjectIds));
  }

  /** An erasure: nothing cached is used while it runs, nor kept from before it. */
  private async erasing<T>(erase: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await erase();
    } finally {
      this.clear();
    }
  }

  close(): Promise<void> {
    this.clear();
    return this.inner.close();
  }

  /** Forgets every cached key (cheap: they are fetched again on use). */
  clear(): void {
    this.byId.clear();
    this.bySubjectScope.clear();
    this.owners.clear();
  }
}
