import type Redis from 'ioredis';
import { keys } from '../keys';
import type { TimelineEntry } from './timeline';

export class TimelineRepository {
  constructor(private readonly redis: Redis) {}

  /** Oldest first; [] when the read model has no timeline for the request (yet). */
  async get(requestId: string): Promise<TimelineEntry[]> {
    return (await this.redis.lrange(keys.timeline(requestId), 0, -1)).map((s) => JSON.parse(s) as TimelineEntry);
  }
}
