import { Inject, Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import { foldUserAccount, userStreamId, type UserRegistered } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import type { AuthUser, Role } from '../../auth/roles';

/** Fixed forever: the event ids of council accounts' registrations are made in it. */
const REGISTRATION_NAMESPACE = '5d3e1a7c-2b4f-4c8e-9f61-0a7b3c5d8e24';

export type OidcUser = AuthUser & { role: Role };

/**
 * Council accounts (OpenID Connect) in the users' own streams, as local accounts are: a
 * `UserRegistered` on `user-<id>`, so the users read model (names, teams, roles), routing, queues,
 * assignment and alerts know them like any officer. Each sign-in brings the provider's latest name,
 * email, role and team; a change is a new registration (the latest wins, as for a local account
 * re-registered), no change appends nothing. A council account has no password here: its hash is
 * empty, which no password matches, and local sign-in reads other streams (ids from emails).
 */
@Injectable()
export class OidcUsers {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Records the provider's latest claims; answers whether the account is disabled here (ADR 0015), which the provider cannot know. */
  async registerOrUpdate(user: OidcUser): Promise<{ disabled: boolean }> {
    const stream = userStreamId(user.id);
    const events = await this.store.read(stream);
    const current = foldUserAccount<Role>(events);
    const data = {
      schemaVersion: 1,
      userId: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      teamId: user.teamId,
      passwordHash: '',
    } as const;
    if (
      current &&
      current.email === data.email &&
      current.name === data.name &&
      current.role === data.role &&
      current.teamId === data.teamId
    )
      return { disabled: current.disabled };
    const event: UserRegistered<Role> & { id: string } = {
      // From what it records and where the stream stood: two sign-ins at once with the same claims append one.
      id: uuidv5(`oidc-registered:${user.id}:${events.length}:${JSON.stringify(data)}`, REGISTRATION_NAMESPACE),
      type: 'UserRegistered',
      data,
    };
    await this.store.append(stream, [event], { expectedRevision: 'any' });
    return { disabled: current?.disabled ?? false };
  }
}
