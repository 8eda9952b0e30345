import { isAwayAt, type UserAccount } from '@send/domain';

/** A user as the read side knows them (from UserRegistered; never the password hash). */
export interface UserRecord {
  id: string;
  name: string;
  email: string;
  role: string;
  teamId: string | null;
  /** Absence (OfficerAvailabilitySet); both null when available. */
  awayFrom: string | null;
  awayUntil: string | null;
  /** Account standing (AccountDisabled, SessionsRevoked, PasswordChanged): the api refuses sessions that no longer stand. */
  disabled?: boolean;
  sessionsValidFrom?: string | null;
  /** The person's data was erased: name and email read ERASED, and the account is closed for good. Absent otherwise. */
  erased?: true;
}

/** The account as the read side may hold it: everything but the password hash. */
export const toUserRecord = (account: UserAccount): UserRecord => ({
  id: account.userId,
  name: account.name,
  email: account.email,
  role: account.role,
  teamId: account.teamId,
  awayFrom: account.awayFrom,
  awayUntil: account.awayUntil,
  disabled: account.disabled,
  sessionsValidFrom: account.sessionsValidFrom,
  ...(account.erased ? { erased: true as const } : {}),
});

/** The account the record was made from, less the password hash it never held: to fold the next event onto. */
export const toAccount = (record: UserRecord): UserAccount => ({
  userId: record.id,
  name: record.name,
  email: record.email,
  role: record.role,
  teamId: record.teamId,
  passwordHash: '',
  awayFrom: record.awayFrom ?? null,
  awayUntil: record.awayUntil ?? null,
  disabled: record.disabled ?? false,
  sessionsValidFrom: record.sessionsValidFrom ?? null,
  ...(record.erased ? { erased: true as const } : {}),
});

/** Is this user away at `now`? (Records written before availability existed have no fields: available.) */
export const isUserAwayAt = (user: UserRecord, now: Date): boolean =>
  isAwayAt({ awayFrom: user.awayFrom ?? null, awayUntil: user.awayUntil ?? null }, now);

/** Stored records (null: no such key) parsed, in the order given. */
export const userRecordsOf = (stored: ReadonlyArray<string | Buffer | null>): UserRecord[] =>
  stored.filter((s): s is string | Buffer => s !== null).map((s) => JSON.parse(s.toString()) as UserRecord);

/** The officers among `users` who are away at `now` (OfficerAvailabilitySet). */
export const awayOfficersOf = (users: readonly UserRecord[], now: Date): UserRecord[] =>
  users.filter((u) => u.role === 'officer' && isUserAwayAt(u, now));
