import type Redis from 'ioredis';
import { keys } from '../keys';
import { isUserAwayAt, userRecordsOf, type UserRecord } from './user-record';

export class UsersRepository {
  constructor(private readonly redis: Redis) {}

  async get(userId: string): Promise<UserRecord | null> {
    const stored = await this.redis.get(keys.user(userId));
    return stored ? (JSON.parse(stored) as UserRecord) : null;
  }

  /** Sorted by name. */
  async byRole(role: string): Promise<UserRecord[]> {
    return this.members(keys.usersByRole(role));
  }

  /** Sorted by name. */
  async byTeam(teamId: string): Promise<UserRecord[]> {
    return this.members(keys.usersByTeam(teamId));
  }

  /** Which of these users are away at `now` (one MGET; ids may repeat). */
  async awayAmong(ids: readonly string[], now: Date): Promise<Set<string>> {
    const users = await this.getMany([...new Set(ids)]);
    return new Set(users.filter((u) => isUserAwayAt(u, now)).map((u) => u.id));
  }

  async getMany(ids: string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return byName(await this.redis.mget(ids.map(keys.user)));
  }

  /**
   * The records of a set's members in one command, SORT ... BY nosort GET rm:user:*, not SMEMBERS
   * then MGET: one round trip, each of which waits a turn of a busy event loop (an alert's
   * recipients are looked up while its append commits, and relayed once both are back), and one
   * atomic read of the set and the records.
   */
  private async members(setKey: string): Promise<UserRecord[]> {
    return byName((await this.redis.sort(setKey, 'BY', 'nosort', 'GET', keys.user('*'))) as Array<string | null>);
  }
}

/** Stored records (null: no such key) parsed, sorted by name. */
function byName(stored: Array<string | null>): UserRecord[] {
  return userRecordsOf(stored).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
