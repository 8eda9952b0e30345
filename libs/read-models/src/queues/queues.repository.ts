import type Redis from 'ioredis';
import { keys } from '../keys';
import { mergeZsetPages, readPageTexts, readZsetPage, type PageRequest, type ZsetPage } from '../paging/zset-page';
import { recordOf, type RequestRecord, type StoredRequest } from '../request-view/request-view';
import { QueuePage, type QueueEntry } from './queue-entry';

/** An officer's queue and a team's unassigned queue, most urgent first (see queue-score.ts). */
export class QueuesRepository {
  constructor(private readonly redis: Redis) {}

  /** One page of an officer's queue: one ZRANGE (a script after the first page) and one MGET of slim entries. */
  async officerQueuePage(officerId: string, page: PageRequest): Promise<QueuePage> {
    return this.entries(await readZsetPage(this.redis, keys.officerQueue(officerId), 'asc', page));
  }

  /**
   * One page of a team's queue: its unassigned requests, and the open requests of its officers who
   * are away (`awayOfficerIds`), marked as needing cover. Each zset is read from the same cursor,
   * limit + 1, in one round trip, and the short pages merged: O(page) whatever the queues hold.
   */
  async teamQueuePage(teamId: string, page: PageRequest, awayOfficerIds: readonly string[] = []): Promise<QueuePage> {
    const keysToRead = [keys.teamQueue(teamId), ...awayOfficerIds.map(keys.officerQueue)];
    const pages = await Promise.all(keysToRead.map((key) => readZsetPage(this.redis, key, 'asc', page)));
    const merged = await this.entries(pages.length === 1 ? pages[0]! : mergeZsetPages(pages, 'asc', page.limit));
    if (awayOfficerIds.length === 0) return merged;
    const away = new Set(awayOfficerIds);
    const json = merged.json.map((text, i) => {
      const assigneeId = merged.rows[i]!.assigneeId;
      return assigneeId !== null && away.has(assigneeId) ? JSON.stringify({ ...(JSON.parse(text) as QueueEntry), needsCover: true }) : text;
    });
    return new QueuePage(json, merged.next);
  }

  /** One page of triage: open requests routed to no team, most urgent first. */
  async triagePage(page: PageRequest): Promise<QueuePage> {
    return this.entries(await readZsetPage(this.redis, keys.teamQueue(null), 'asc', page));
  }

  /** Every record of an officer's queue (tests and tools; the api reads pages). */
  officerQueue(officerId: string, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.officerQueue(officerId), limit);
  }

  /** A null team reads the queue of requests not routed to any team. */
  teamQueue(teamId: string | null, limit = 500): Promise<RequestRecord[]> {
    return this.read(keys.teamQueue(teamId), limit);
  }

  /** The queue rows of these requests (null for a request in no queue: resolved, or not projected yet). */
  async entriesOf(requestIds: readonly string[]): Promise<Array<QueueEntry | null>> {
    if (requestIds.length === 0) return [];
    const stored = await this.redis.mget(requestIds.map(keys.queueEntry));
    return stored.map((s) => (s === null ? null : (JSON.parse(s) as QueueEntry)));
  }

  private async entries(page: ZsetPage): Promise<QueuePage> {
    const texts = await readPageTexts(this.redis, page, keys.queueEntry);
    return new QueuePage(texts.items, texts.next);
  }

  private async read(key: string, limit: number): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(key, 0, limit - 1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => recordOf(JSON.parse(s) as StoredRequest));
  }
}
