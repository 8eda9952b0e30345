import type { FamilyChannel, Requester } from '@send/domain';

/** Where one message goes: an email address or a phone number (E.164) for a text. */
export interface FamilyRoute {
  channel: 'email' | 'sms';
  to: string;
}

/**
 * The family's channel (ADR 0009): their choice when they made one ('none': nothing at all);
 * otherwise, and when the chosen way is not possible (no phone, texts not configured), email when
 * they gave an address, else a text when they gave a phone. Null: no way to reach them.
 */
export function familyRoute(
  requester: Pick<Requester, 'email' | 'phone'>,
  preference: FamilyChannel | null,
  available: { email: boolean; sms: boolean },
): FamilyRoute | null {
  if (preference === 'none') return null;
  const email = available.email && requester.email ? { channel: 'email' as const, to: requester.email } : null;
  const sms = available.sms && requester.phone ? { channel: 'sms' as const, to: requester.phone } : null;
  return preference === 'sms' ? (sms ?? email) : (email ?? sms);
}
