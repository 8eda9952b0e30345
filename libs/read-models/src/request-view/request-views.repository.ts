import type Redis from 'ioredis';
import { keys } from '../keys';
import { mergeZsetPages, readPageValues, readZsetPage, readZsetPageValues, type Page, type PageRequest } from '../paging/zset-page';
import { recordOf, type RequestRecord, type StoredRequest } from './request-view';

/** Reads of the request view read model: each stored record with its view (recordOf), as the api shows it. */
export class RequestViewsRepository {
  constructor(private readonly redis: Redis) {}

  async get(requestId: string): Promise<RequestRecord | null> {
    const stored = await this.redis.get(keys.request(requestId));
    return stored ? recordOf(JSON.parse(stored) as StoredRequest) : null;
  }

  /** One page of a requester's own requests, newest first (submission time, then id, descending). */
  async pageForRequester(userId: string, page: PageRequest): Promise<Page<RequestRecord>> {
    return this.page(keys.requestsByRequester(userId), page);
  }

  /** One page of every request, newest first. */
  async pageAll(page: PageRequest): Promise<Page<RequestRecord>> {
    return this.page(keys.allRequests(), page);
  }

  /** One page of the requests filed on a case, newest first. */
  async pageForCase(caseRef: string, page: PageRequest): Promise<Page<RequestRecord>> {
    return this.page(keys.requestsByCase(caseRef), page);
  }

  /**
   * One page of the union of several lists (keys from `keys.requests*`), newest first: each read from
   * the same cursor and merged, so a scope made of a few lists (a team's, triage, the caller's own)
   * pages in O(page) whatever the lists hold. A request in two of them is listed once.
   */
  async pageOfUnion(listKeys: readonly string[], page: PageRequest): Promise<Page<RequestRecord>> {
    if (listKeys.length === 1) return this.page(listKeys[0]!, page);
    if (listKeys.length === 0) return { items: [], next: null };
    const pages = await Promise.all(listKeys.map((key) => readZsetPage(this.redis, key, 'desc', page)));
    return readPageValues(this.redis, mergeZsetPages(pages, 'desc', page.limit), keys.request, recordOf);
  }

  /** Every request filed on a case, newest first. A case has a handful: one page of its list is all of them. */
  async allOnCase(caseRef: string): Promise<RequestRecord[]> {
    return (await this.pageForCase(caseRef, { limit: 500 })).items;
  }

  /** One list's page and its records in one round trip (readZsetPageValues). */
  private page(key: string, request: PageRequest): Promise<Page<RequestRecord>> {
    return readZsetPageValues(this.redis, key, keys.request(''), 'desc', request, recordOf);
  }
}
