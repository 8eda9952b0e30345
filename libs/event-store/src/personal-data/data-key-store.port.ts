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
  /** Deletes every key of the subject, unrecoverably (no copy left in free pages or the WAL). Returns the scopes it held. */
  eraseSubject(subjectId: string): Promise<string[]>;
  /** Deletes every key of one stream (retention of one request). Returns how many keys went. */
  eraseScope(scope: string): Promise<number>;
  close(): Promise<void>;
}
