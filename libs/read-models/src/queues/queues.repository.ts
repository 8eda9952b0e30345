import type Redis from 'ioredis';
import { keys } from '../keys';
import { mergeZsetPages, readPageValues, readZsetPage, type Page, type PageRequest, type ZsetPage } from '../paging/zset-page';
import type { RequestRecord } from '../request-view/request-view';
import type { QueueEntry } from './queue-entry';

/** An officer's queue and a team's unassigned queue, most urgent first (see queue-score.ts). */
export class QueuesRepository {
  constructor(private readonly redis: Redis) {}

  /** One page of an officer's queue: one ZRANGE (a script after the first page) and one MGET of slim entries. */
  async officerQueuePage(officerId: string, page: PageRequest): Promise<Page<QueueEntry>> {
    return this.entries(await readZsetPage(this.redis, keys.officerQueue(officerId), 'asc', page));
  }

  /**
   * One page of a team's view: its unassigned requests and those routed to no team (null: only
   * those). Both zsets are read from the same cursor, limit + 1 each, in one round trip, and the two
   * short pages merged: O(page) whatever either queue holds. (The alternative, copying every
   * unrouted request into a combined zset per team, would write each one once per team and need the
   * list of teams inside the projection.)
   */
  async teamQueuePage(teamId: string | null, page: PageRequest): Promise<Page<QueueEntry>> {
    const unrouted = readZsetPage(this.redis, keys.teamQueue(null), 'asc', page);
    if (teamId === null) return this.entries(await unrouted);
    const pages = await Promise.all([readZsetPage(this.redis, keys.teamQueue(teamId), 'asc', page), unrouted]);
    return this.entries(mergeZsetPages(pages, 'asc', page.limit));
  }

  /** Every record of an officer's queue (tests and tools; the api reads pages). */
  officerQueue(officerId: string, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.officerQueue(officerId), limit);
  }

  /** A null team reads the queue of requests not routed to any team. */
  teamQueue(teamId: string | null, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.teamQueue(teamId), limit);
  }

  private entries(page: ZsetPage): Promise<Page<QueueEntry>> {
    return readPageValues(this.redis, page, keys.queueEntry);
  }

  private async read(key: string, limit: number): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(key, 0, limit - 1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as RequestRecord);
  }
}
