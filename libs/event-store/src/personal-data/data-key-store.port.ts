/**
 * Where data keys live (issue 14, ADR 0016): one AES-256 key per data subject per stream ("scope"),
 * so erasing a person deletes all of their keys and a retention run can delete one request's keys.
 * Keys are wrapped (encrypted) under a key-encryption key from the settings before they are stored.
 * The embedded default keeps them in a table beside the events (same SQLite file, secure_delete);
 * PostgreSQL in a table of its own schema. Never only in Redis or a KurrentDB stream.
 */
export interface DataKey {
  /**
   * Opaque: stored beside each encrypted field; says nothing about the person. Made of the time it
   * was made and 84 random bits (newKeyId), so new keys sort together in the key table's index.
   */
  keyId: string;
  key: Buffer;
  /**
   * True when keyFor made this key as the first of its scope, so its subject is what
   * subjectOfScope(scope) answers (until the key is erased): a cache may remember the stream's owner
   * without asking. Optional: a store that does not know leaves it out.
   */
  ownsScope?: boolean;
}

/**
 * A new data key's row, made (key wrapped, subject sealed and hashed) but not yet stored: what an
 * event store that keeps the keys in its own database writes in the transaction of a new stream's
 * first events (EventStore.dataKeysLocation), so a stream and its first keys commit together.
 */
export interface NewDataKeyRow {
  keyId: string;
  subjectHash: string;
  /** Bytes, or the same as base64 text (how a row crosses to the SQLite writer thread). */
  subjectSealed: Uint8Array | string;
  scope: string;
  wrappedKey: Uint8Array | string;
  createdAt: string;
}

/**
 * Why an event store refused the keys given with a new stream's first events: its scope already has
 * keys (a key made for an append that then failed, or by another process), so the append must use
 * them: encrypt again with keyFor's keys and append without keys. Nothing of the append was stored.
 */
export const DATA_KEYS_EXIST = 'SEND_DATA_KEYS_EXIST';
export class DataKeysExist extends Error {
  readonly code = DATA_KEYS_EXIST;
  constructor(scope: string) {
    super(`stream ${scope} already has data keys: encrypt with those`);
    this.name = 'DataKeysExist';
  }
}

export interface KeyForHint {
  newScope?: boolean;
}

export interface DataKeyStore {
  /**
   * The key for this subject's data in this stream (scope = stream id), made on first use.
   * `hint.newScope`: the caller is appending the stream's first events, so a key most likely has to
   * be made; a store may then skip looking for one first (it still never makes a second one).
   */
  keyFor(subjectId: string, scope: string, hint?: KeyForHint): Promise<DataKey>;
  /**
   * A new key for this subject in this scope, not stored: for an event store at `location` to store
   * with the scope's first events (EncryptingEventStore). Optional, with `location`.
   */
  newKey?(subjectId: string, scope: string): { key: DataKey; row: NewDataKeyRow };
  /**
   * Where the keys are kept (e.g. `sqlite:/path/events.db`), when an event store could write them in
   * its own transactions: the same string as its `dataKeysLocation`. Undefined: nowhere shared.
   */
  readonly location?: string;
  /** The key with this id; null once erased (or never made). */
  keyById(keyId: string): Promise<Buffer | null>;
  /**
   * keyById for many at once (a cold reader's page needs one key per request in it): one query
   * (both stores have it). Optional: callers fall back to keyById each.
   */
  keysById?(keyIds: readonly string[]): Promise<Map<string, Buffer | null>>;
  /** The subject who owns a single-subject stream (a request, user or call stream); null if none recorded. */
  subjectOfScope(scope: string): Promise<string | null>;
  /** The streams holding this subject's data: what an erasure must mark and an export must read. */
  scopesOf(subjectId: string): Promise<string[]>;
  /** The ids of the subject's keys (what an erasure records it deleted, so a replay after a restore finds them all). */
  keyIdsOf(subjectId: string): Promise<string[]>;
  /** Deletes every key of the subject, unrecoverably (no copy left in free pages or the WAL). Returns the scopes it held. */
  eraseSubject(subjectId: string): Promise<string[]>;
  /** Deletes these keys (an erasure replayed after a restore). Returns how many there were. */
  eraseKeys(keyIds: readonly string[]): Promise<number>;
  /** Deletes every key of one stream (retention of one request). Returns how many keys went. */
  eraseScope(scope: string): Promise<number>;
  /**
   * Deletes the keys of one stream made before `madeBefore`: every subject's, or only those of
   * `subjectIds` (a case stream holds several people's). What replaying an erasure after a restore
   * runs (a restored key backup older than the erasure holds its keys again); keys made since, for
   * data written after the erasure, stay. Returns how many keys went.
   */
  eraseScopeBefore(scope: string, madeBefore: Date, subjectIds?: readonly string[]): Promise<number>;
  close(): Promise<void>;
}
