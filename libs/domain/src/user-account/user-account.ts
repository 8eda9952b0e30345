/**
 * The user account: one stream per person, `user-<userId>`, holding `UserRegistered`. Ids come from
 * the email (uuid v5, a pure function), so signing in reads one short stream found from the email
 * alone, and registering the same email twice appends once. One fold, here, for every reader: sign-in
 * and the officer check (apps/api), and the users read model (libs/read-models), which alerts and
 * assignee names read.
 */
import { v5 as uuidv5 } from 'uuid';

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

export type UserAccountEvent<Role extends string = string> = UserRegistered<Role> | OfficerAvailabilitySet;
export const USER_ACCOUNT_EVENT_TYPES = ['UserRegistered', 'OfficerAvailabilitySet'] as const;

export interface Availability {
  awayFrom: string | null;
  awayUntil: string | null;
}
export const AVAILABLE: Availability = Object.freeze({ awayFrom: null, awayUntil: null });

export type UserAccount<Role extends string = string> = Omit<UserRegisteredData<Role>, 'schemaVersion'> & Availability;

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
    // A re-registration (role or team change) leaves an absence as it was.
    awayFrom: state?.awayFrom ?? null,
    awayUntil: state?.awayUntil ?? null,
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
