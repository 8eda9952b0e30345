import { foldUserAccount, userStreamFor, userStreamId, type UserAccount } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { REQUESTER_ROLES, type Role } from '../auth/roles';

/**
 * Who a case names, from the user accounts in the event store (the account's own stream, as
 * sign-in reads it): so a case can name an officer registered a moment ago, and the CLI needs no
 * Redis. Each lookup is remembered for the life of the instance (one import, one request), so
 * 10,000 rows naming the same officers read each account once.
 */
export class CasePeople {
  private readonly accounts = new Map<string, Promise<UserAccount<Role> | null>>();

  constructor(private readonly store: EventStore) {}

  /** A registered officer with a team, or null. */
  async officerById(userId: string): Promise<UserAccount<Role> | null> {
    return officer(await this.account(userStreamId(userId)));
  }

  async officerByEmail(email: string): Promise<UserAccount<Role> | null> {
    return officer(await this.account(userStreamFor(email)));
  }

  /** The portal account (parent, school, professional) registered with this email, or null. */
  async portalUserId(email: string): Promise<string | null> {
    const account = await this.account(userStreamFor(email));
    return account && (REQUESTER_ROLES as readonly Role[]).includes(account.role) ? account.userId : null;
  }

  private account(streamId: string): Promise<UserAccount<Role> | null> {
    let found = this.accounts.get(streamId);
    if (!found) this.accounts.set(streamId, (found = this.store.read(streamId).then((events) => foldUserAccount<Role>(events))));
    return found;
  }
}

const officer = (account: UserAccount<Role> | null) => (account && account.role === 'officer' && account.teamId ? account : null);
