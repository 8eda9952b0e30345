/**
 * The user account: one stream per person, `user-<userId>`, holding `UserRegistered`. Ids come from
 * the email (uuid v5, a pure function), so signing in reads one short stream found from the email
 * alone, and registering the same email twice appends once. One fold, here, for every reader: sign-in
 * and the officer check (apps/api), and the users read model (libs/read-models), which alerts and
 * assignee names read.
 */
import { v5 as uuidv5 } from 'uuid';
import { erasedValue } from '../personal-data/erasure';
import type { PersonalDataErased } from '../personal-data/personal-data';

/** Every user stream starts so; the read side subscribes to it. */
export const USER_STREAM_PREFIX = 'user-';

/** Fixed forever: changing it would give every existing account a new id. */
const USER_NAMESPACE = '4f1c3a52-6f0e-4b7c-9a53-2b8e8c1d9e10';

export const userIdFor = (email: string): string => uuidv5(`user:${email.trim().toLowerCase()}`, USER_NAMESPACE);
export const userStreamId = (userId: string): string => `${USER_STREAM_PREFIX}${userId}`;
export const userStreamFor = (email: string): string => userStreamId(userIdFor(email));

/** `Role` is the app's list of roles (apps/api auth/roles.ts); the domain only carries it. */
// A type, not an interface: it must fit the store's `Record<string, unknown>` event data.
export type UserRegisteredData<Role extends string = string> = {
  schemaVersion: 1;
  userId: string;
  email: string;
  name: string;
  role: Role;
  teamId: string | null;
  passwordHash: string;
};

export type UserRegistered<Role extends string = string> = { type: 'UserRegistered'; data: UserRegisteredData<Role> };

/**
 * An officer's absence (PUT /api/officers/:id/availability): away from `awayFrom` (null: now) until
 * `awayUntil` (null: until cleared); both null clears it. Routing gives no new requests to an officer
 * who is away, and their open requests show in the team queue as needing cover.
 */
export type OfficerAvailabilitySetData = {
  schemaVersion: 1;
  userId: string;
  awayFrom: string | null;
  awayUntil: string | null;
  by: string;
  at: string;
};
export type OfficerAvailabilitySet = { type: 'OfficerAvailabilitySet'; data: OfficerAvailabilitySetData };

/**
 * The account's life after registration. A new password, a disabled account and a revocation each
 * end every session signed before them (`sessionsValidFrom`): tokens carry when they were issued,
 * and the api refuses one issued earlier. `by` is who did it (the person, a manager, or
 * `system:rehash` when sign-in upgrades an old hash to today's cost).
 */
export type PasswordChanged = { type: 'PasswordChanged'; data: { schemaVersion: 1; userId: string; passwordHash: string; by: string; at: string } };
/** The same password under a stronger hash (sign-in upgrades an old one): sessions stand. */
export type PasswordRehashed = { type: 'PasswordRehashed'; data: { schemaVersion: 1; userId: string; passwordHash: string; at: string } };
export type AccountDisabled = { type: 'AccountDisabled'; data: { schemaVersion: 1; userId: string; reason: string; by: string; at: string } };
export type AccountEnabled = { type: 'AccountEnabled'; data: { schemaVersion: 1; userId: string; by: string; at: string } };
export type SessionsRevoked = { type: 'SessionsRevoked'; data: { schemaVersion: 1; userId: string; by: string; at: string } };

export type UserAccountEvent<Role extends string = string> =
  | UserRegistered<Role>
  | OfficerAvailabilitySet
  | PasswordChanged
  | PasswordRehashed
  | AccountDisabled
  | AccountEnabled
  | SessionsRevoked
  | PersonalDataErased;
export const USER_ACCOUNT_EVENT_TYPES = [
  'UserRegistered',
  'OfficerAvailabilitySet',
  'PasswordChanged',
  'PasswordRehashed',
  'AccountDisabled',
  'AccountEnabled',
  'SessionsRevoked',
  'PersonalDataErased',
] as const;

export interface Availability {
  awayFrom: string | null;
  awayUntil: string | null;
}
export const AVAILABLE: Availability = Object.freeze({ awayFrom: null, awayUntil: null });

export interface AccountStanding {
  /** Refused at sign-in and on every request while true. */
  disabled: boolean;
  /** Sessions (tokens) issued before this instant are refused; null: every session since registration stands. */
  sessionsValidFrom: string | null;
  /**
   * The person's data was erased (PersonalDataErased, issue 14): the account is disabled for good
   * (AccountEnabled does not undo it) and holds no name, email or password hash. Absent otherwise.
   */
  erased?: true;
}

export type UserAccount<Role extends string = string> = Omit<UserRegisteredData<Role>, 'schemaVersion'> & Availability & AccountStanding;

/**
 * Does a session issued at `issuedAtSeconds` (a token's iat) still stand for this account? iat has
 * whole seconds, so the check is to the second: a token signed in the same second as a revocation
 * stands (the new token a password change answers with must).
 */
export const sessionStands = (standing: Partial<AccountStanding>, issuedAtSeconds: number): boolean =>
  !standing.disabled && (!standing.sessionsValidFrom || issuedAtSeconds * 1000 >= Math.floor(Date.parse(standing.sessionsValidFrom) / 1000) * 1000);

/** Is someone with this availability away at `now`? */
export const isAwayAt = (a: Availability, now: Date): boolean => {
  if (a.awayFrom === null && a.awayUntil === null) return false;
  const t = now.getTime();
  return (a.awayFrom === null || Date.parse(a.awayFrom) <= t) && (a.awayUntil === null || t < Date.parse(a.awayUntil));
};

/**
 * A registration, with its event id: fixed per account, so a repeated registration (DEMO seeding,
 * a retried request) is a no-op append. Unlike the contact request's events this one carries its
 * id, because the id is part of the rule (one registration per email), not a transport detail.
 */
export function userRegistered<Role extends string>(
  data: Omit<UserRegisteredData<Role>, 'schemaVersion' | 'userId'>,
): UserRegistered<Role> & { id: string } {
  const userId = userIdFor(data.email);
  return {
    id: uuidv5(`user-registered:${userId}`, USER_NAMESPACE),
    type: 'UserRegistered',
    data: { schemaVersion: 1, userId, ...data },
  };
}

/**
 * Records a fact about the account: the latest registration wins (it may change role or team).
 * Other event types, and registrations without an id or role (nothing else writes them), change nothing.
 */
export function evolveUserAccount<Role extends string = string>(
  state: UserAccount<Role> | null,
  event: { type: string; data: unknown },
): UserAccount<Role> | null {
  if (event.type === 'OfficerAvailabilitySet') {
    const d = event.data as Partial<OfficerAvailabilitySetData>;
    return state === null || d.userId !== state.userId ? state : { ...state, awayFrom: d.awayFrom ?? null, awayUntil: d.awayUntil ?? null };
  }
  if (event.type === 'PasswordRehashed') {
    const d = event.data as { userId?: string; passwordHash?: string };
    return state === null || d.userId !== state.userId || !d.passwordHash || state.erased ? state : { ...state, passwordHash: d.passwordHash };
  }
  if (event.type === 'PersonalDataErased') return state === null ? state : eraseAccount(state, (event.data as { at?: string }).at);
  if (event.type === 'PasswordChanged' || event.type === 'AccountDisabled' || event.type === 'AccountEnabled' || event.type === 'SessionsRevoked') {
    const d = event.data as { userId?: string; passwordHash?: string; at?: string };
    if (state === null || d.userId !== state.userId) return state;
    const ended = { sessionsValidFrom: d.at ?? state.sessionsValidFrom };
    if (event.type === 'PasswordChanged') return { ...state, ...ended, passwordHash: state.erased ? '' : (d.passwordHash ?? state.passwordHash) };
    if (event.type === 'AccountDisabled') return { ...state, ...ended, disabled: true };
    if (event.type === 'AccountEnabled') return state.erased ? state : { ...state, disabled: false };
    return { ...state, ...ended };
  }
  if (event.type !== 'UserRegistered') return state;
  const d = event.data as Partial<UserRegisteredData<Role>>;
  if (!d.userId || !d.role) return state;
  return {
    userId: d.userId,
    email: d.email ?? '',
    name: d.name ?? '',
    role: d.role,
    teamId: d.teamId ?? null,
    passwordHash: d.passwordHash ?? '',
    // A re-registration (role or team change) leaves an absence, a disabling and a revocation as they were.
    awayFrom: state?.awayFrom ?? null,
    awayUntil: state?.awayUntil ?? null,
    disabled: state?.disabled ?? false,
    sessionsValidFrom: state?.sessionsValidFrom ?? null,
    // A registration after an erasure brings new details, not the account back: it stays closed.
    ...(state?.erased ? { erased: true as const, passwordHash: '' } : {}),
  };
}

/**
 * The account once its person's data is erased: name and email ERASED, no password hash, disabled
 * for good, and every session signed before the erasure ended. Ids, role, team and times stay. The
 * same state (===) when it was already erased.
 */
function eraseAccount<Role extends string>(state: UserAccount<Role>, at: string | undefined): UserAccount<Role> {
  if (state.erased && state.passwordHash === '' && state.name === erasedValue(state.name) && state.email === erasedValue(state.email)) return state;
  return {
    ...state,
    name: erasedValue(state.name),
    email: erasedValue(state.email),
    passwordHash: '',
    disabled: true,
    sessionsValidFrom: at ?? state.sessionsValidFrom,
    erased: true,
  };
}

/** The availability event, checked: instants are ISO, and the absence ends after it starts. */
export function availabilitySet(userId: string, availability: Availability, by: string, now: Date): OfficerAvailabilitySet {
  for (const [field, value] of Object.entries(availability)) {
    if (value !== null && Number.isNaN(Date.parse(value))) throw new RangeError(`${field}: "${value}" is not an ISO-8601 instant`);
  }
  const { awayFrom, awayUntil } = availability;
  if (awayFrom !== null && awayUntil !== null && Date.parse(awayUntil) <= Date.parse(awayFrom)) {
    throw new RangeError('awayUntil: must be after awayFrom');
  }
  const iso = (v: string | null) => (v === null ? null : new Date(v).toISOString());
  return {
    type: 'OfficerAvailabilitySet',
    data: { schemaVersion: 1, userId, awayFrom: iso(awayFrom), awayUntil: iso(awayUntil), by, at: now.toISOString() },
  };
}

export const foldUserAccount = <Role extends string = string>(
  events: ReadonlyArray<{ type: string; data: unknown }>,
): UserAccount<Role> | null => events.reduce<UserAccount<Role> | null>(evolveUserAccount, null);

/** The account events after registration, each stamped with who did it and when (the clock comes in). */
export const passwordChanged = (userId: string, passwordHash: string, by: string, now: Date): PasswordChanged => ({
  type: 'PasswordChanged',
  data: { schemaVersion: 1, userId, passwordHash, by, at: now.toISOString() },
});
export const passwordRehashed = (userId: string, passwordHash: string, now: Date): PasswordRehashed => ({
  type: 'PasswordRehashed',
  data: { schemaVersion: 1, userId, passwordHash, at: now.toISOString() },
});
export const accountDisabled = (userId: string, reason: string, by: string, now: Date): AccountDisabled => ({
  type: 'AccountDisabled',
  data: { schemaVersion: 1, userId, reason, by, at: now.toISOString() },
});
export const accountEnabled = (userId: string, by: string, now: Date): AccountEnabled => ({
  type: 'AccountEnabled',
  data: { schemaVersion: 1, userId, by, at: now.toISOString() },
});
export const sessionsRevoked = (userId: string, by: string, now: Date): SessionsRevoked => ({
  type: 'SessionsRevoked',
  data: { schemaVersion: 1, userId, by, at: now.toISOString() },
});
