import { scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Algorithm, hash, verify } from '@node-rs/argon2';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/**
 * Argon2id at OWASP's Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1): about 50 ms here,
 * on libuv's thread pool, so the event loop keeps serving. The parameters travel in the PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$...`), so raising them later leaves old hashes verifiable and
 * `needsRehash` says which to upgrade at the next sign-in.
 */
export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PARAMS = `$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** True when the password matches; false for a wrong password or a hash it cannot read (never throws on bad input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return verify(stored, password).catch(() => false);
  // Accounts registered before argon2id: `scrypt$<salt>$<hash>` (N=16384, r=8, p=1), upgraded at sign-in.
  const [scheme, salt, expectedB64] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !expectedB64) return false;
  const expected = Buffer.from(expectedB64, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** A hash made with weaker parameters than today's (the legacy scrypt form, or older argon2 costs). */
export const needsRehash = (stored: string): boolean => !stored.startsWith(CURRENT_PARAMS);

/**
 * A hash of no one's password, made once: verifying against it costs what a real account costs, so an
 * unknown email answers in the same time as a wrong password and timing does not tell which emails exist.
 */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}`);
  return decoy;
}
