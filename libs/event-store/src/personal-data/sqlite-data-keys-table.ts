/**
 * The embedded default's key table (ADR 0016), shared by its two writers: SqliteDataKeyStore, which
 * makes a key on its own, and the event store's batch committer, which stores a new stream's keys in
 * the transaction of the stream's first events (NewDataKeyRow). Nothing here needs the crypto.
 */
import type { NewDataKeyRow } from './data-key-store.port';

export const SQLITE_DATA_KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS data_keys (
  seq            INTEGER PRIMARY KEY,
  key_id         TEXT    NOT NULL UNIQUE,
  subject_hash   TEXT    NOT NULL,
  subject_sealed BLOB    NOT NULL,
  scope          TEXT    NOT NULL,
  wrapped_key    BLOB    NOT NULL,
  created_at     TEXT    NOT NULL,
  UNIQUE (subject_hash, scope)
);
CREATE INDEX IF NOT EXISTS data_keys_by_scope ON data_keys (scope, seq);
`;

const INTO = 'INTO data_keys (key_id, subject_hash, subject_sealed, scope, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?, ?)';
/** The key store's: another process may have made this subject's key in this scope first; the caller then reads theirs. */
export const SQLITE_INSERT_DATA_KEY_OR_IGNORE = `INSERT OR IGNORE ${INTO}`;
/** The batch committer's: a conflict fails the append (a stream's events must be under the keys stored with them). */
export const SQLITE_INSERT_DATA_KEY = `INSERT ${INTO}`;

export const SQLITE_ANY_DATA_KEY_IN_SCOPE = 'SELECT 1 AS one FROM data_keys WHERE scope = ? LIMIT 1';

/** The row's values in the insert's order, its bytes as the Buffers the driver binds as BLOBs. */
export function dataKeyRowValues(row: NewDataKeyRow): [string, string, Buffer, string, Buffer, string] {
  return [row.keyId, row.subjectHash, asBuffer(row.subjectSealed), row.scope, asBuffer(row.wrappedKey), row.createdAt];
}

const asBuffer = (bytes: Uint8Array | string): Buffer =>
  typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
