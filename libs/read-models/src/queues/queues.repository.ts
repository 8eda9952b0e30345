import type Redis from 'ioredis';
import { keys } from '../keys';
import type { RequestRecord } from '../request-view/request-view';

/** An officer's queue and a team's unassigned queue, most urgent first (see queue-score.ts). */
export class QueuesRepository {
  constructor(private readonly redis: Redis) {}

  officerQueue(officerId: string, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.officerQueue(officerId), limit);
  }

  /** A null team reads the queue of requests not routed to any team. */
  teamQueue(teamId: string | null, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.teamQueue(teamId), limit);
  }

  private async read(key: string, limit: number): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(key, 0, limit - 1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as RequestRecord);
  }
}
