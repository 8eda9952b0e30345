import { v5 as uuidv5 } from 'uuid';
import type { EventData, RecordedEvent } from '@send/event-store';
import type { Role } from './roles';

/**
 * Accounts are event-sourced like everything else: the stream id is derived from the email, so
 * signing in reads one short stream and needs no read model, and seeding twice appends once.
 */
const USER_NAMESPACE = '4f1c3a52-6f0e-4b7c-9a53-2b8e8c1d9e10';

export const userIdFor = (email: string) => uuidv5(`user:${email.trim().toLowerCase()}`, USER_NAMESPACE);
export const userStreamFor = (email: string) => `user-${userIdFor(email)}`;

export type UserRegisteredData = {
  schemaVersion: 1;
  userId: string;
  email: string;
  name: string;
  role: Role;
  teamId: string | null;
  passwordHash: string;
};

export type UserAccount = Omit<UserRegisteredData, 'schemaVersion'>;

export function userRegistered(data: Omit<UserRegisteredData, 'schemaVersion' | 'userId'>): EventData<UserRegisteredData> {
  const userId = userIdFor(data.email);
  // The event id is fixed per account, so a repeated registration (e.g. DEMO seeding) is a no-op.
  return { id: uuidv5(`user-registered:${userId}`, USER_NAMESPACE), type: 'UserRegistered', data: { schemaVersion: 1, userId, ...data } };
}

export function foldUserAccount(events: RecordedEvent[]): UserAccount | null {
  let account: UserAccount | null = null;
  for (const event of events) {
    if (event.type === 'UserRegistered') {
      const { schemaVersion: _v, ...data } = event.data as unknown as UserRegisteredData;
      account = data;
    }
  }
  return account;
}
