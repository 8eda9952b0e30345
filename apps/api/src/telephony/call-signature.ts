import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header the telephony system signs with: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const CALL_SIGNATURE_HEADER = 'x-signature';

/** The header value for `rawBody` (the telephony system's side; tests sign with it). */
export function signCall(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * Does `header` sign these exact bytes with `secret`? The comparison is constant-time over
 * equal-length digests (timingSafeEqual), so response timing says nothing about how much of a
 * forged signature was right. A header that is not `sha256=` and 64 hex digits fails before any compare.
 */
export function isSignedCall(rawBody: Buffer | undefined, header: string | string[] | undefined, secret: string): boolean {
  if (!rawBody || typeof header !== 'string') return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
