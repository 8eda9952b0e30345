import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { foldUserAccount, sessionStands, userStreamId, type AccountStanding } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { UsersRepository } from '@send/read-models';
import { untilReadModelShows } from '../common/read-your-writes';

/** How long one process trusts what it read of an account's standing: a revocation elsewhere takes effect within this. */
export const STANDING_CACHE_MS = 5_000;

/**
 * Does a signed-in session still stand? A token is valid by its signature and expiry alone; this
 * adds the account's standing (disabled, sessions ended by a password change or a revocation), read
 * from the users read model and kept per process for a few seconds, so the check costs one Redis
 * read per user per 5 s, not one per request. A user the read model does not know (projected a
 * moment after registering, or Redis lost and not yet rebuilt) is read from their own stream in the
 * event store, so a disabled or revoked session never stands again while the read models catch up.
 */
@Injectable()
export class SessionStanding {
  private readonly standings = new LRUCache<string, Partial<AccountStanding> & { known: boolean }>({
    max: 10_000,
    ttl: STANDING_CACHE_MS,
    // Ages read from the clock on each use: the default (1 ms) caches the time and sets a timer to
    // forget it, one each millisecond under load, for nothing at a 5 s ttl.
    ttlResolution: 0,
  });

  constructor(
    private readonly users: UsersRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async stands(userId: string, issuedAtSeconds: number | undefined): Promise<boolean> {
    return this.standsIfKept(userId, issuedAtSeconds) ?? sessionStands(await this.readStanding(userId), issuedAtSeconds ?? 0);
  }

  /**
   * `stands` answered from what this process kept (no wait), or undefined when it must read the
   * account first: the hot path of AuthGuard, which then awaits no promise for a known user.
   */
  standsIfKept(userId: string, issuedAtSeconds: number | undefined): boolean | undefined {
    const standing = this.standings.get(userId);
    return standing ? sessionStands(standing, issuedAtSeconds ?? 0) : undefined;
  }

  private async readStanding(userId: string): Promise<Partial<AccountStanding> & { known: boolean }> {
    const user = (await this.users.get(userId)) ?? foldUserAccount(await this.store.read(userStreamId(userId)));
    const standing = user ? { known: true, disabled: user.disabled, sessionsValidFrom: user.sessionsValidFrom } : { known: false };
    this.standings.set(userId, standing);
    return standing;
  }

  /** The standing as the read model holds it now (no cache). */
  async read(userId: string): Promise<Partial<AccountStanding> | null> {
    const user = await this.users.get(userId);
    return user ? { disabled: user.disabled ?? false, sessionsValidFrom: user.sessionsValidFrom ?? null } : null;
  }

  /** After a change made here: read it again next time, and wait (briefly) until the read model shows it. */
  async changed(userId: string, shows: (standing: Partial<AccountStanding>) => boolean): Promise<void> {
    await untilReadModelShows(async () => {
      const user = await this.users.get(userId);
      return !!user && shows(user);
    });
    this.standings.delete(userId);
  }
}
