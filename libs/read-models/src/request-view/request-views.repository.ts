import type Redis from 'ioredis';
import { keys } from '../keys';
import { readPageValues, readZsetPage, type Page, type PageRequest } from '../paging/zset-page';
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

  private async page(key: string, request: PageRequest): Promise<Page<RequestRecord>> {
    return readPageValues(this.redis, await readZsetPage(this.redis, key, 'desc', request), keys.request);
  }
}
