import { Inject, Injectable, Logger } from '@nestjs/common';
import { foldUserAccount, userRegistered, userStreamFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { hashPassword, verifyPassword } from './password';
import type { AuthUser, Role } from './roles';

export interface NewAccount {
  email: string;
  name: string;
  role: Role;
  teamId: string | null;
  password: string;
}

/** Registers accounts and checks passwords, straight against the event store. */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async register(account: NewAccount): Promise<void> {
    const { password, ...rest } = account;
    const event = userRegistered<Role>({ ...rest, email: rest.email.toLowerCase(), passwordHash: await hashPassword(password) });
    // 'any' + a fixed event id: registering the same email again is a no-op, never a duplicate.
    await this.store.append(userStreamFor(account.email), [event], { expectedRevision: 'any' });
  }

  async authenticate(email: string, password: string): Promise<(AuthUser & { role: Role }) | null> {
    // The account's own stream, not the users read model: read-your-writes right after registering,
    // and the password hash never leaves the event store.
    const account = foldUserAccount<Role>(await this.store.read(userStreamFor(email)));
    if (!account || !(await verifyPassword(password, account.passwordHash))) return null;
    return { id: account.userId, email: account.email, name: account.name, role: account.role, teamId: account.teamId };
  }

  async seed(accounts: NewAccount[]): Promise<void> {
    for (const account of accounts) await this.register(account);
    this.logger.log(`Demo users ready: ${accounts.length} accounts (password from DEMO_PASSWORD)`);
  }
}
