/**
 * How a family (a requester with a portal account) wants to hear about their requests: recorded on
 * their own account stream, `user-<userId>`, as `FamilyNotificationsSet` (PUT /api/me/notifications).
 * Not an account fact the users read model needs, so it is not in USER_ACCOUNT_EVENT_TYPES: only
 * the family notifications read it, from the stream, at the time of each message (ADR 0009).
 */
export type FamilyChannel = 'email' | 'sms' | 'none';
export const FAMILY_CHANNELS: readonly FamilyChannel[] = ['email', 'sms', 'none'];

export type FamilyNotificationsSetData = { schemaVersion: 1; userId: string; channel: FamilyChannel; by: string; at: string };
export type FamilyNotificationsSet = { type: 'FamilyNotificationsSet'; data: FamilyNotificationsSetData };

/** The latest choice on the account's events; null when the family never chose (the default applies). */
export function familyChannelOf(events: ReadonlyArray<{ type: string; data: unknown }>): FamilyChannel | null {
  let channel: FamilyChannel | null = null;
  for (const e of events) {
    if (e.type !== 'FamilyNotificationsSet') continue;
    const c = (e.data as Partial<FamilyNotificationsSetData>).channel;
    if (c && FAMILY_CHANNELS.includes(c)) channel = c;
  }
  return channel;
}

export function familyNotificationsSet(userId: string, channel: FamilyChannel, by: string, now: Date): FamilyNotificationsSet {
  return { type: 'FamilyNotificationsSet', data: { schemaVersion: 1, userId, channel, by, at: now.toISOString() } };
}
