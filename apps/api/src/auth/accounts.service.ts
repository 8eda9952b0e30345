import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  accountDisabled,
  accountEnabled,
  foldUserAccount,
  passwordChanged,
  passwordRehashed,
  sessionsRevoked,
  userRegistered,
  userStreamFor,
  userStreamId,
  type UserAccount,
  type UserAccountEvent,
} from '@send/domain';
import { newEventId, WrongExpectedRevision, type EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';
import { problem, ProblemException } from '../common/problem';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password';
import type { AuthUser, Role } from './roles';
import { SignInFailures } from './sign-in-limits';

export interface NewAccount {
  email: string;
  name: string;
  role: Role;
  teamId: string | null;
  password: string;
}

/** Who may disable, enable and end the sessions of other people's accounts. */
export const ACCOUNT_ADMIN_ROLES = ['admin', 'service_manager', 'head_of_service'] as const satisfies readonly Role[];

/** NCSC's and OWASP's advice: length over composition rules; the upper bound keeps hashing bounded. */
export const NEW_PASSWORD = { min: 12, max: 256 } as const;

/**
 * Accounts, straight against the event store (never the read model: read-your-writes right after a
 * change, and the password hash never leaves the store): register, sign in, change password,
 * disable / enable, and end every session.
 */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly failures: SignInFailures,
  ) {}

  async register(account: NewAccount): Promise<void> {
    const { password, ...rest } = account;
    const event = userRegistered<Role>({ ...rest, email: rest.email.toLowerCase(), passwordHash: await hashPassword(password) });
    // 'any' + a fixed event id: registering the same email again is a no-op, never a duplicate.
    await this.store.append(userStreamFor(account.email), [event], { expectedRevision: 'any' });
  }

  /**
   * The account for this email and password, or null. Every null costs one hash check (a decoy hash
   * for an unknown email), so the time taken does not tell which emails have accounts; a disabled
   * account answers as a wrong password does. A hash made at an older cost is upgraded here, while
   * the password is at hand. Too many failures for the email or the address answer 429 (SignInFailures).
   */
  async authenticate(email: string, password: string, address: string): Promise<(AuthUser & { role: Role }) | null> {
    this.failures.assertAllowed(email, address);
    const { account, revision } = await this.load(userStreamFor(email));
    const matches = await verifyPassword(password, account?.passwordHash || (await decoyHash()));
    if (!account || !matches || account.disabled) {
      this.failures.recordFailure(email, address);
      return null;
    }
    if (needsRehash(account.passwordHash)) await this.upgradeHash(account, password, revision);
    return { id: account.userId, email: account.email, name: account.name, role: account.role, teamId: account.teamId };
  }

  /** The person's own change: the current password proves it is them; every other session ends. */
  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
    const { account, revision } = await this.load(userStreamId(userId));
    if (!account || account.disabled || !(await verifyPassword(currentPassword, account.passwordHash))) {
      throw new ProblemException(
        problem(422, 'current-password-wrong', 'The current password is not right.', {
          errors: [{ field: 'currentPassword', message: 'is not right' }],
        }),
      );
    }
    await this.write(passwordChanged(userId, await hashPassword(newPassword), userId, this.clock.now()), revision, {
      id: userId,
      role: account.role,
    });
  }

  async disable(userId: string, reason: string, by: AuthUser): Promise<void> {
    if (userId === by.id) throw new ProblemException(problem(422, 'cannot-disable-self', 'You cannot disable your own account.'));
    await this.change(userId, by, (account) => (account.disabled ? null : accountDisabled(userId, reason, by.id, this.clock.now())));
  }

  async enable(userId: string, by: AuthUser): Promise<void> {
    await this.change(userId, by, (account) => {
      if (account.erased)
        throw new ProblemException(problem(422, 'account-erased', "This person's data was erased: the account cannot be enabled again."));
      return account.disabled ? accountEnabled(userId, by.id, this.clock.now()) : null;
    });
  }

  async revokeSessions(userId: string, by: AuthUser): Promise<void> {
    await this.change(userId, by, () => sessionsRevoked(userId, by.id, this.clock.now()));
  }

  /** DEMO=true: the demo accounts, hashed only when not registered yet (a restart appends and hashes nothing). */
  async seed(accounts: NewAccount[]): Promise<void> {
    const missing = [];
    for (const account of accounts) if (!(await this.load(userStreamFor(account.email))).account) missing.push(account);
    await Promise.all(missing.map((account) => this.register(account)));
    this.logger.log(`Demo users ready: ${accounts.length} accounts, ${missing.length} new (password from DEMO_PASSWORD)`);
  }

  private async load(stream: string): Promise<{ account: UserAccount<Role> | null; revision: bigint | 'no_stream' }> {
    const events = await this.store.read(stream);
    return { account: foldUserAccount<Role>(events), revision: events.length ? events[events.length - 1].revision : 'no_stream' };
  }

  /** An account change decided on the account as it stands (null: nothing to do), appended at the revision read. */
  private async change(userId: string, by: AuthUser, decide: (account: UserAccount<Role>) => UserAccountEvent | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { account, revision } = await this.load(userStreamId(userId));
      if (!account) throw new ProblemException(problem(404, 'not-found', `No account ${userId}.`));
      const event = decide(account);
      if (!event) return;
      try {
        return await this.write(event, revision, by);
      } catch (error) {
        // Another change of the account landed first: decide again on the account as it is now.
        if (!(error instanceof WrongExpectedRevision) || attempt === 3) throw error;
      }
    }
  }

  private async upgradeHash(account: UserAccount<Role>, password: string, revision: bigint | 'no_stream'): Promise<void> {
    const event = passwordRehashed(account.userId, await hashPassword(password), this.clock.now());
    // A lost race with another change of the account is harmless: the next sign-in upgrades it.
    await this.write(event, revision, { id: 'system:rehash', role: 'system' }).catch((error: unknown) =>
      this.logger.warn(`password hash upgrade for ${account.userId} skipped: ${(error as Error).message}`),
    );
  }

  private async write(event: UserAccountEvent, revision: bigint | 'no_stream', actor: { id: string; role: string }): Promise<void> {
    const stream = userStreamId((event.data as { userId: string }).userId);
    await this.store.append(stream, [{ id: newEventId(), ...event, metadata: { actor } }], { expectedRevision: revision });
  }
}
