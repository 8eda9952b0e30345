import type Redis from 'ioredis';
import type { EscalationRole } from '@send/domain';
import { keys, PROJECTIONS_NAME, UsersRepository, type UserRecord } from '@send/read-models';
import { selectRecipients, TEAM_SCOPED_ROLES, type Recipient, type RecipientDirectory } from './recipient-directory';

export interface ReadModelRecipientDirectoryOptions {
  /** How long a lookup waits for the projections to reach the alert's position before failing. Default 10 s. */
  waitMs?: number;
  /** How often it looks at the projections checkpoint meanwhile. Default 10 ms. */
  pollMs?: number;
}

/**
 * Recipients from the users read model (rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>,
 * libs/read-models), the same one that names assignees: no fold of its own.
 *
 * Given a position (`asOf`, see RecipientDirectory), a lookup first waits until the projections
 * checkpoint has reached it, so every account registered before the alert is in the read model. Without that, an alert handled
 * while the read model is empty or behind (a rebuild, a Redis that came back empty, a fresh worker)
 * would find no one and go out on the audience channels only, for good. Past `waitMs` it throws:
 * the dispatcher's subscription retries the event with backoff. No checkpoint at all counts as
 * behind every position, and a checkpoint behind one seen before as a read model being rebuilt.
 */
export class ReadModelRecipientDirectory implements RecipientDirectory {
  private readonly users: UsersRepository;
  /**
   * The furthest projections checkpoint seen. Checkpoints only move on, unless Redis lost the read
   * models (flushed, or restarted empty): then the users read model is being rebuilt, and may not
   * hold accounts it held before, whatever position the caller asks for. So a lookup also waits
   * until the checkpoint is back here.
   */
  private furthestSeen = -1n;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReadModelRecipientDirectoryOptions = {},
  ) {
    this.users = new UsersRepository(redis);
  }

  async recipientsFor(role: EscalationRole, teamId: string | null, asOf?: bigint): Promise<Recipient[]> {
    if (asOf !== undefined) await this.caughtUpTo(asOf);
    if (TEAM_SCOPED_ROLES.includes(role)) {
      // A team is a handful of people; the role set spans the service.
      return teamId === null ? [] : selectRecipients(reachable(await this.users.byTeam(teamId)), role, teamId);
    }
    return selectRecipients(reachable(await this.users.byRole(role)), role, teamId);
  }

  /** One user, by id (null when the read model does not know them, or their account is disabled). */
  async recipient(userId: string): Promise<Recipient | null> {
    const user = await this.users.get(userId);
    return user && !user.disabled ? toRecipient(user) : null;
  }

  private async caughtUpTo(position: bigint): Promise<void> {
    const waitMs = this.options.waitMs ?? 10_000;
    const pollMs = this.options.pollMs ?? 10;
    const started = Date.now();
    for (;;) {
      const stored = await this.redis.get(keys.checkpoint(PROJECTIONS_NAME));
      const checkpoint = stored === null ? -1n : BigInt(stored);
      const wanted = position > this.furthestSeen ? position : this.furthestSeen;
      if (checkpoint >= wanted) {
        this.furthestSeen = checkpoint;
        return;
      }
      if (Date.now() - started >= waitMs) {
        throw new Error(
          `users read model is behind the alert (projections at ${stored ?? 'none'}, alert at ${position}${wanted > position ? `, read model was at ${wanted} before` : ''}): are the projections running, or a rebuild?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/**
 * A disabled account (AccountDisabled: someone who left, or whose account is suspended) gets no
 * alert on any channel: it no longer answers for the role, and an email to it may reach someone
 * who should not see it. Were every holder of a role disabled, the dispatcher's fallback applies.
 */
const reachable = (users: UserRecord[]): Recipient[] => users.filter((user) => !user.disabled).map(toRecipient);

const toRecipient = (user: UserRecord): Recipient => ({ userId: user.id, email: user.email, role: user.role, teamId: user.teamId });
