import type Redis from 'ioredis';
import { keys } from '../keys';
import { pageOf, readZsetPage, type Page, type PageRequest } from '../paging/zset-page';
import type { RequestRecord } from './request-view';

/** Reads of the request view read model. */
export class RequestViewsRepository {
  constructor(private readonly redis: Redis) {}

  async get(requestId: string): Promise<RequestRecord | null> {
    const stored = await this.redis.get(keys.request(requestId));
    return stored ? (JSON.parse(stored) as RequestRecord) : null;
  }

  /** One page of a requester's own requests, newest first (submission time, then id, descending). */
  async pageForRequester(userId: string, page: PageRequest): Promise<Page<RequestRecord>> {
    return this.page(keys.requestsByRequester(userId), page);
  }

  /** One page of every request, newest first. */
  async pageAll(page: PageRequest): Promise<Page<RequestRecord>> {
    return this.page(keys.allRequests(), page);
  }

  /** Newest first. */
  async listForRequester(userId: string, limit = 200): Promise<RequestRecord[]> {
    return this.getMany(await this.redis.zrevrange(keys.requestsByRequester(userId), 0, limit - 1));
  }

  async listAll(limit = 500): Promise<RequestRecord[]> {
    return this.getMany(await this.redis.zrevrange(keys.allRequests(), 0, limit - 1));
  }

  private async page(key: string, request: PageRequest): Promise<Page<RequestRecord>> {
    const page = await readZsetPage(this.redis, key, 'desc', request);
    if (page.members.length === 0) return pageOf(page, []);
    const stored = await this.redis.mget(page.members.map((m) => keys.request(m.id)));
    return pageOf(
      page,
      stored.map((s) => (s === null ? null : (JSON.parse(s) as RequestRecord))),
    );
  }

  private async getMany(ids: string[]): Promise<RequestRecord[]> {
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as RequestRecord);
  }
}
