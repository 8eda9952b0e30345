import type Redis from 'ioredis';
import { keys } from '../keys';
import { readZsetPageValues, type Page, type PageRequest } from '../paging/zset-page';
import { alertListKeyOf, type Alert } from './alert';

export class AlertsRepository {
  constructor(private readonly redis: Redis) {}

  /**
   * One page of the open escalations routed to this user (see isRoutedTo), highest level first, then
   * oldest first: one ZRANGE of the user's routing index and one MGET, whatever else is open.
   */
  async pageForUser(user: { role: string; teamId?: string | null }, page: PageRequest): Promise<Page<Alert>> {
    const key = alertListKeyOf(user);
    if (!key) return { items: [], next: null };
    return readZsetPageValues(this.redis, key, keys.alert(''), 'asc', page);
  }

  /** How many open escalations are routed to this user: one ZCARD (the pages' header count). */
  async countForUser(user: { role: string; teamId?: string | null }): Promise<number> {
    const key = alertListKeyOf(user);
    return key ? this.redis.zcard(key) : 0;
  }

  /** Every open escalation routed to this user, in the order of pageForUser. */
  async forUser(user: { role: string; teamId?: string | null }): Promise<Alert[]> {
    return (await this.pageForUser(user, { limit: 1e9 })).items;
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
