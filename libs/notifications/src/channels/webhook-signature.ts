import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-timestamp';
export const DELIVERY_HEADER = 'x-delivery-id';

/** `sha256=<hex HMAC-SHA256 of the raw body>` */
export function signWebhookBody(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * For receivers (and specs): the signature must match the raw body, and the timestamp, which is
 * both a header and a field of the signed body (so it cannot be swapped), must be recent.
 */
export function verifyWebhook(
  rawBody: string | Buffer,
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): { ok: true } | { ok: false; reason: string } {
  const header = (name: string) => {
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const given = header(SIGNATURE_HEADER);
  if (!given) return { ok: false, reason: 'no signature' };
  const expected = signWebhookBody(rawBody, secret);
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected)))
    return { ok: false, reason: 'bad signature' };
  const stamp = Number(header(TIMESTAMP_HEADER));
  let bodyStamp: unknown;
  try {
    bodyStamp = (JSON.parse(rawBody.toString()) as { timestamp?: unknown }).timestamp;
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (!Number.isFinite(stamp) || bodyStamp !== stamp) return { ok: false, reason: 'timestamp header does not match the signed body' };
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - stamp) > (options.toleranceSeconds ?? 300)) return { ok: false, reason: 'timestamp too old or in the future' };
  return { ok: true };
}
