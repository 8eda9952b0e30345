import type Redis from 'ioredis';
import { keys } from '../keys';
import { isUserAwayAt, type UserRecord } from './user-record';

export class UsersRepository {
  constructor(private readonly redis: Redis) {}

  async get(userId: string): Promise<UserRecord | null> {
    const stored = await this.redis.get(keys.user(userId));
    return stored ? (JSON.parse(stored) as UserRecord) : null;
  }

  /** Sorted by name. */
  async byRole(role: string): Promise<UserRecord[]> {
    return this.getMany(await this.redis.smembers(keys.usersByRole(role)));
  }

  /** Sorted by name. */
  async byTeam(teamId: string): Promise<UserRecord[]> {
    return this.getMany(await this.redis.smembers(keys.usersByTeam(teamId)));
  }

  /** The team's officers who are away at `now` (OfficerAvailabilitySet). */
  async awayInTeam(teamId: string, now: Date): Promise<UserRecord[]> {
    return (await this.byTeam(teamId)).filter((u) => u.role === 'officer' && isUserAwayAt(u, now));
  }

  /** Which of these users are away at `now` (one MGET; ids may repeat). */
  async awayAmong(ids: readonly string[], now: Date): Promise<Set<string>> {
    const users = await this.getMany([...new Set(ids)]);
    return new Set(users.filter((u) => isUserAwayAt(u, now)).map((u) => u.id));
  }

  async getMany(ids: string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.user));
    return stored
      .filter((s): s is string => s !== null)
      .map((s) => JSON.parse(s) as UserRecord)
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }
}
