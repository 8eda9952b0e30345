import type Redis from 'ioredis';
import { keys } from '../keys';
import {
  mergeZsetPages,
  readPageBytes,
  readZsetPage,
  readZsetPageBytes,
  readZsetPageBytesAnd,
  type PageRequest,
  type ZsetPage,
} from '../paging/zset-page';
import { userRecordsOf, type UserRecord } from '../users/user-record';
import { recordOf, type RequestRecord, type StoredRequest } from '../request-view/request-view';
import { QueuePage, type QueueEntry } from './queue-entry';

/** An officer's queue and a team's unassigned queue, most urgent first (see queue-score.ts). */
export class QueuesRepository {
  constructor(private readonly redis: Redis) {}

  /** One page of an officer's queue: one script reading the page's members and their slim entries (readZsetPageBytes). */
  officerQueuePage(officerId: string, page: PageRequest): Promise<QueuePage> {
    return this.page(keys.officerQueue(officerId), page);
  }

  /**
   * One page of a team's queue: its unassigned requests, and the open requests of its officers who
   * are away (`awayOfficerIds`), marked as needing cover. With nobody away, one script as an
   * officer's queue; otherwise each zset is read from the same cursor, limit + 1, in one round trip,
   * the short pages merged and their entries read: O(page) whatever the queues hold.
   */
  async teamQueuePage(teamId: string, page: PageRequest, awayOfficerIds: readonly string[] = []): Promise<QueuePage> {
    if (awayOfficerIds.length === 0) return this.page(keys.teamQueue(teamId), page);
    const keysToRead = [keys.teamQueue(teamId), ...awayOfficerIds.map(keys.officerQueue)];
    const pages = await Promise.all(keysToRead.map((key) => readZsetPage(this.redis, key, 'asc', page)));
    const merged = await this.entries(mergeZsetPages(pages, 'asc', page.limit));
    const away = new Set(awayOfficerIds);
    const stored = merged.stored.map((bytes, i) => {
      const assigneeId = merged.rows[i]!.assigneeId;
      if (assigneeId === null || !away.has(assigneeId)) return bytes;
      return Buffer.from(JSON.stringify({ ...(JSON.parse(bytes.toString()) as QueueEntry), needsCover: true }));
    });
    return new QueuePage(stored, merged.next);
  }

  /**
   * The first read of a team's queue page: the page as it is when none of the team's officers is
   * away (the usual answer), and the records of the team's users, in one script (readZsetPageBytesAnd).
   * Only when somebody is away does the caller read the page again, merged (teamQueuePage).
   */
  async teamQueuePageAndUsers(teamId: string, page: PageRequest): Promise<{ page: QueuePage; users: UserRecord[] }> {
    const read = await readZsetPageBytesAnd(this.redis, keys.teamQueue(teamId), keys.queueEntry(''), 'asc', page, {
      set: keys.usersByTeam(teamId),
      prefix: keys.user(''),
    });
    return { page: new QueuePage(read.page.items, read.page.next), users: userRecordsOf(read.also) };
  }

  /** One page of triage: open requests routed to no team, most urgent first. */
  triagePage(page: PageRequest): Promise<QueuePage> {
    return this.page(keys.teamQueue(null), page);
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

  private async page(key: string, page: PageRequest): Promise<QueuePage> {
    const stored = await readZsetPageBytes(this.redis, key, keys.queueEntry(''), 'asc', page);
    return new QueuePage(stored.items, stored.next);
  }

  private async entries(page: ZsetPage): Promise<QueuePage> {
    const stored = await readPageBytes(this.redis, page, keys.queueEntry);
    return new QueuePage(stored.items, stored.next);
  }

  private async read(key: string, limit: number): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(key, 0, limit - 1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => recordOf(JSON.parse(s) as StoredRequest));
  }
}
