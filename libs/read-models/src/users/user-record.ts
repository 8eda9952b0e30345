import type { UserAccount } from '@send/domain';

/** A user as the read side knows them (from UserRegistered; never the password hash). */
export interface UserRecord {
  id: string;
  name: string;
  email: string;
  role: string;
  teamId: string | null;
}

/** The account as the read side may hold it: everything but the password hash. */
export const toUserRecord = (account: UserAccount): UserRecord => ({
  id: account.userId,
  name: account.name,
  email: account.email,
  role: account.role,
  teamId: account.teamId,
});
