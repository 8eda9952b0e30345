import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync } from 'node:crypto';

/**
 * The cryptography of personal data (ADR 0016), node:crypto only, AES-256-GCM throughout:
 * - an event's personal fields (one subject's) are stored as one envelope,
 *   `pd2.<keyId>.<fields>.<iv>.<ciphertext+tag>` (base64url; the fields' paths in the clear, so an
 *   erased event still knows which fields to show as erased), its prefix up to the fields bound in as
 *   associated data, so an envelope cannot be read under another key nor for other fields;
 * - a field written before that (ADR 0016's first format) is its own envelope,
 *   `pd1.<keyId>.<iv>.<ciphertext+tag>`, still read;
 * - data keys are stored wrapped (encrypted) under the key-encryption key (KEK) derived from the
 *   DATA_KEYS_SECRET setting; the subject id a key belongs to is stored sealed under the KEK too,
 *   with an HMAC of it to look keys up by (a subject id may be an email: never in the clear).
 */

export const ENVELOPE_PREFIX = 'pd1.';
const ENVELOPE = /^pd1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A personal field could not be read: a corrupt envelope, or a key that does not open it. Never "erased". */
export class PersonalDataUnreadable extends Error {
  override readonly name = 'PersonalDataUnreadable';
}

/**
 * Random bytes (IVs, key ids, data keys) drawn from a pool refilled 48 KiB at a time: a small
 * randomBytes call costs several times an AES-GCM encryption (profiled: an append under a new key
 * made three). Random IVs (not a counter): the api and the worker encrypt under the same keys, and
 * need no coordination to never repeat one.
 */
const pool = Buffer.allocUnsafe(IV_BYTES * 4096);
let poolOffset = pool.length;
/**
 * The next `bytes` of the pool, in place: valid only until the next draw (a refill overwrites it),
 * so the caller uses it at once. For what is stored in the clear anyway (IVs, key ids): no copy.
 */
function randomView(bytes: number): Buffer {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool.subarray(poolOffset, (poolOffset += bytes));
}
/** For secrets (data keys): a copy of its own, and none left behind in the pool. */
function randomFromPool(bytes: number): Buffer {
  const taken = randomView(bytes);
  const out = Buffer.from(taken);
  taken.fill(0);
  return out;
}

/** base64url's 64 characters in ASCII order, so that a number written in them sorts as the number does. */
const SORTED_DIGITS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * A new key id: 22 base64url characters, the first 8 the time in milliseconds (in SORTED_DIGITS, so
 * ids made later sort later) and 14 random (84 bits; ids are unique in the key table too). Time
 * ordered so that a new key's entry in the key_id index lands beside the last one made: with random
 * ids each new key dirtied a page of its own in that index, and a batch of 8 keys took ~1.6 times as
 * long to commit (measured). The time says nothing the event does not: it is stored beside it.
 */
export function newKeyId(): string {
  let t = Date.now();
  let head = '';
  for (let i = 0; i < 8; i++, t = Math.floor(t / 64)) head = SORTED_DIGITS[t % 64] + head;
  return head + randomView(11).toString('base64url').slice(0, 14);
}

export const newDataKey = (): Buffer => randomFromPool(32);

/** Is this string an envelope (as opposed to plain text written before encryption)? */
export const isEnvelope = (value: string): boolean => ENVELOPE.test(value);

export function encryptField(keyId: string, key: Buffer, plaintext: string): string {
  return `${ENVELOPE_PREFIX}${keyId}.${sealText(key, keyId, plaintext)}`;
}

/**
 * `<iv>.<ciphertext and tag>` in base64url: `plaintext` sealed under `key` with `aad` (ASCII)
 * authenticated, the two envelopes' common part. GCM's final() adds no bytes; ciphertext and tag
 * are copied once into one buffer (Buffer.concat of three, final's empty one included, copied as much).
 */
function sealText(key: Buffer, aad: string, plaintext: string): string {
  const iv = randomView(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ivText = iv.toString('base64url'); // now: the view is the pool's, overwritten by a later draw
  cipher.setAAD(Buffer.from(aad, 'latin1'));
  const ciphertext = cipher.update(plaintext, 'utf8');
  cipher.final();
  const body = Buffer.allocUnsafe(ciphertext.length + TAG_BYTES);
  ciphertext.copy(body, 0);
  cipher.getAuthTag().copy(body, ciphertext.length);
  return `${ivText}.${body.toString('base64url')}`;
}

/**
 * The event envelope (pd2): the JSON array of the values of `fields` (paths, keys joined by '/',
 * paths by ','), encrypted once. One AES-GCM operation and one base64 string per event instead of
 * one per field: the per-call cost of node:crypto, not the bytes, was what encryption cost.
 */
export const EVENT_ENVELOPE_PREFIX = 'pd2.';
const EVENT_ENVELOPE =
  /^(pd2\.[A-Za-z0-9_-]{22}\.([A-Za-z0-9_$-]+(?:\/[A-Za-z0-9_$-]+)*(?:,[A-Za-z0-9_$-]+(?:\/[A-Za-z0-9_$-]+)*)*))\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
/** Can this object key be named in a pd2 field list (else the field gets a pd1 envelope of its own)? */
const PATH_KEY = /^[A-Za-z0-9_$-]+$/;
export const isEnvelopePathKey = (key: string): boolean => PATH_KEY.test(key);

export function sealEventFields(keyId: string, key: Buffer, paths: readonly (readonly string[])[], values: readonly string[]): string {
  const head = `${EVENT_ENVELOPE_PREFIX}${keyId}.${paths.map((p) => p.join('/')).join(',')}`;
  return `${head}.${sealText(key, head, JSON.stringify(values))}`;
}

/** An event envelope taken apart: `head` (prefix, keyId, fields) is what the tag authenticates. */
export interface ParsedEventEnvelope {
  head: string;
  keyId: string;
  paths: string[][];
  iv: string;
  body: string;
}

export function parseEventEnvelope(value: string): ParsedEventEnvelope {
  const match = EVENT_ENVELOPE.exec(value);
  if (!match)
    throw new PersonalDataUnreadable(
      `an event's personal data is not a valid pd2 envelope (${value.length} characters): the stored data is corrupt`,
    );
  return {
    head: match[1],
    keyId: match[1].slice(EVENT_ENVELOPE_PREFIX.length, EVENT_ENVELOPE_PREFIX.length + 22),
    paths: match[2].split(',').map((p) => p.split('/')),
    iv: match[3],
    body: match[4],
  };
}

/** The values of an event envelope's fields, in its fields' order. */
export function openEventEnvelope({ head, keyId, paths, iv, body: bodyText }: ParsedEventEnvelope, key: Buffer): string[] {
  const body = Buffer.from(bodyText, 'base64url');
  if (body.length < TAG_BYTES) throw new PersonalDataUnreadable(`the envelope under key ${keyId} is too short: the stored data is corrupt`);
  let json: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(head, 'latin1'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    json = decipher.update(body.subarray(0, body.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
  } catch {
    throw new PersonalDataUnreadable(`the envelope under key ${keyId} does not decrypt with that key: the data or the key is corrupt`);
  }
  const values: unknown = JSON.parse(json);
  if (!Array.isArray(values) || values.length !== paths.length || values.some((v) => typeof v !== 'string'))
    throw new PersonalDataUnreadable(
      `the envelope under key ${keyId} does not hold its ${paths.length} fields: the stored data is corrupt`,
    );
  return values as string[];
}

/** An envelope taken apart (once: a projection reads every field of every event). */
export interface ParsedEnvelope {
  keyId: string;
  iv: string;
  body: string;
}

/** Throws PersonalDataUnreadable for a string that starts like an envelope but is not one. */
export function parseEnvelope(value: string): ParsedEnvelope {
  const match = ENVELOPE.exec(value);
  if (!match)
    throw new PersonalDataUnreadable(
      `a personal field is not a valid pd1 envelope (${value.length} characters): the stored data is corrupt`,
    );
  return { keyId: match[1], iv: match[2], body: match[3] };
}

/** The keyId of an envelope; throws PersonalDataUnreadable for a string that starts like one but is not. */
export const envelopeKeyId = (value: string): string => parseEnvelope(value).keyId;

export function decryptField(value: string, key: Buffer): string {
  return openEnvelope(parseEnvelope(value), key);
}

export function openEnvelope({ keyId, iv, body: bodyText }: ParsedEnvelope, key: Buffer): string {
  const body = Buffer.from(bodyText, 'base64url');
  if (body.length < TAG_BYTES) throw new PersonalDataUnreadable(`the envelope under key ${keyId} is too short: the stored data is corrupt`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId, 'latin1'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return decipher.update(body.subarray(0, body.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
  } catch {
    throw new PersonalDataUnreadable(`the envelope under key ${keyId} does not decrypt with that key: the data or the key is corrupt`);
  }
}

/**
 * The key-encryption key and the subject index key, derived (HKDF-SHA256) from the DATA_KEYS_SECRET
 * setting, so any long random secret will do and the two uses never share a key.
 */
export class KeyEncryptionKey {
  private readonly kek: Buffer;
  private readonly indexKey: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('DATA_KEYS_SECRET must be at least 32 characters (e.g. 32 random bytes, base64)');
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'send-case-comms data keys', info, 32));
    this.kek = derive('key-encryption-key');
    this.indexKey = derive('subject-index');
  }

  /** A data key wrapped for storage: iv | tag | ciphertext, bound to its keyId. */
  wrap(keyId: string, key: Buffer): Buffer {
    return this.seal(key, `key:${keyId}`);
  }

  unwrap(keyId: string, wrapped: Buffer): Buffer {
    return this.open(wrapped, `key:${keyId}`, `data key ${keyId}`);
  }

  /** A subject id stored sealed, so the key table shows no email or phone. */
  sealSubject(subjectId: string): Buffer {
    return this.seal(Buffer.from(subjectId, 'utf8'), 'subject');
  }

  openSubject(sealed: Buffer): string {
    return this.open(sealed, 'subject', 'a subject id').toString('utf8');
  }

  /** What keys are looked up by: HMAC-SHA256 of the subject id (equal ids, equal hashes; nothing to read back). */
  subjectHash(subjectId: string): string {
    return createHmac('sha256', this.indexKey).update(subjectId, 'utf8').digest('base64url');
  }

  /** iv | tag | ciphertext, written into one buffer (Buffer.concat twice made and copied two). */
  private seal(plaintext: Buffer, aad: string): Buffer {
    const iv = randomView(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    const out = Buffer.allocUnsafe(IV_BYTES + TAG_BYTES + plaintext.length);
    iv.copy(out, 0);
    cipher.setAAD(Buffer.from(aad, 'latin1'));
    cipher.update(plaintext).copy(out, IV_BYTES + TAG_BYTES);
    cipher.final();
    cipher.getAuthTag().copy(out, IV_BYTES);
    return out;
  }

  private open(sealed: Buffer, aad: string, what: string): Buffer {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PersonalDataUnreadable(
        `${what} does not open with this DATA_KEYS_SECRET: the key store was made with another secret (or is corrupt)`,
      );
    }
  }
}
