import { isErased, type FamilyChannel, type Requester } from '@send/domain';

/** Where one message goes: an email address or a phone number (E.164) for a text. */
export interface FamilyRoute {
  channel: 'email' | 'sms';
  to: string;
}

/**
 * The family's channel (ADR 0009): their choice when they made one ('none': nothing at all);
 * otherwise, and when the chosen way is not possible (no phone, texts not configured), email when
 * they gave an address, else a text when they gave a phone. Null: no way to reach them (erased
 * details included).
 */
export function familyRoute(
  requester: Pick<Requester, 'email' | 'phone'>,
  preference: FamilyChannel | null,
  available: { email: boolean; sms: boolean },
): FamilyRoute | null {
  if (preference === 'none') return null;
  // Erased details (issue 14) are no way to reach anyone: the family is not told any more.
  const email =
    available.email && requester.email && !isErased(requester.email) ? { channel: 'email' as const, to: requester.email } : null;
  const sms = available.sms && requester.phone && !isErased(requester.phone) ? { channel: 'sms' as const, to: requester.phone } : null;
  return preference === 'sms' ? (sms ?? email) : (email ?? sms);
}
