import type Redis from 'ioredis';
import { keys } from '../keys';
import { isRoutedTo, type Alert } from './alert';

export class AlertsRepository {
  constructor(private readonly redis: Redis) {}

  /** Open escalations routed to this user (see isRoutedTo), highest level first, then oldest first. */
  async forUser(user: { role: string; teamId?: string | null }): Promise<Alert[]> {
    return (await this.open()).filter((a) => isRoutedTo(a, user)).sort((a, b) => b.level - a.level || a.raisedAt.localeCompare(b.raisedAt));
  }

  /** Every unresolved escalation, oldest first. */
  async open(): Promise<Alert[]> {
    const ids = await this.redis.zrange(keys.openAlerts(), 0, -1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.alert));
    return stored.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as Alert);
  }

  /** How many escalations ever reached each level 1..levels (raised at it or advanced to it). */
  async raisedByLevel(levels: number): Promise<number[]> {
    const pipeline = this.redis.pipeline();
    for (let level = 1; level <= levels; level++) pipeline.scard(keys.alertsRaised(level));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, count]) => {
      if (error) throw error;
      return Number(count);
    });
  }

  async get(escalationId: string): Promise<Alert | null> {
    const stored = await this.redis.get(keys.alert(escalationId));
    return stored ? (JSON.parse(stored) as Alert) : null;
  }
}
