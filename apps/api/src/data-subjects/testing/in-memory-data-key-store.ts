import { randomBytes, randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import type { DataKey, DataKeyStore } from '@send/event-store';
import { DATA_KEYS } from '@send/platform';

/** A key as this store keeps it: whose, which stream, the key, when it was made. */
type StoredKey = { subject: string; scope: string; key: Buffer; made: Date };

/**
 * A DataKeyStore in memory, for tests of erasure, export and retention while the real store (the
 * store layer's, in the event store's own database) is elsewhere: it keeps the same index the real
 * one keeps (one key per subject per stream; a single-subject stream's owner is whoever got its
 * first key). The real store records scopes as the encrypting decorator appends; a test calls
 * `keyFor(subject, stream)` where the decorator would.
 */
export class InMemoryDataKeyStore implements DataKeyStore {
  private readonly keys = new Map<string, StoredKey>();
  private readonly byPair = new Map<string, string>();
  private readonly owners = new Map<string, string>();

  async keyFor(subjectId: string, scope: string): Promise<DataKey> {
    const pair = `${subjectId}\u0000${scope}`;
    let keyId = this.byPair.get(pair);
    if (!keyId) {
      keyId = randomUUID();
      this.keys.set(keyId, { subject: subjectId, scope, key: randomBytes(32), made: new Date() });
      this.byPair.set(pair, keyId);
      if (!this.owners.has(scope)) this.owners.set(scope, subjectId);
    }
    return { keyId, key: this.keys.get(keyId)!.key };
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    return this.keys.get(keyId)?.key ?? null;
  }

  async subjectOfScope(scope: string): Promise<string | null> {
    return this.owners.get(scope) ?? null;
  }

  async scopesOf(subjectId: string): Promise<string[]> {
    return [...this.keys.values()].filter((k) => k.subject === subjectId).map((k) => k.scope);
  }

  async keyIdsOf(subjectId: string): Promise<string[]> {
    return [...this.keys].filter(([, k]) => k.subject === subjectId).map(([keyId]) => keyId);
  }

  async eraseKeys(keyIds: readonly string[]): Promise<number> {
    return this.drop((keyId) => keyIds.includes(keyId)).length;
  }

  async eraseSubject(subjectId: string): Promise<string[]> {
    return this.drop((_, k) => k.subject === subjectId).map((k) => k.scope);
  }

  async eraseScope(scope: string): Promise<number> {
    return this.drop((_, k) => k.scope === scope).length;
  }

  async eraseScopeBefore(scope: string, madeBefore: Date, subjectIds?: readonly string[]): Promise<number> {
    return this.drop((_, k) => k.scope === scope && k.made < madeBefore && (!subjectIds || subjectIds.includes(k.subject))).length;
  }

  /** Deletes the keys `which` picks (and their (subject, stream) entry), returning them in the order made. */
  private drop(which: (keyId: string, k: StoredKey) => boolean): StoredKey[] {
    const dropped: StoredKey[] = [];
    for (const [keyId, k] of this.keys)
      if (which(keyId, k)) {
        this.keys.delete(keyId);
        this.byPair.delete(`${k.subject}\u0000${k.scope}`);
        dropped.push(k);
      }
    return dropped;
  }

  async close(): Promise<void> {}
}

/** Provides DATA_KEYS to a test's app (global, as the platform module provides the real one). */
@Global()
@Module({})
export class InMemoryDataKeysModule {
  static with(store: DataKeyStore) {
    return { module: InMemoryDataKeysModule, providers: [{ provide: DATA_KEYS, useValue: store }], exports: [DATA_KEYS] };
  }
}
