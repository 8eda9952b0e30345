import type Redis from 'ioredis';
import { keys } from '../keys';
import type { RequestRecord } from './request-view';

/** Reads of the request view read model. */
export class RequestViewsRepository {
  constructor(private readonly redis: Redis) {}

  async get(requestId: string): Promise<RequestRecord | null> {
    const stored = await this.redis.get(keys.request(requestId));
    return stored ? (JSON.parse(stored) as RequestRecord) : null;
  }

  /** Newest first. */
  async listForRequester(userId: string, limit = 200): Promise<RequestRecord[]> {
    return this.getMany(await this.redis.zrevrange(keys.requestsByRequester(userId), 0, limit - 1));
  }

  async listAll(limit = 500): Promise<RequestRecord[]> {
    return this.getMany(await this.redis.zrevrange(keys.allRequests(), 0, limit - 1));
  }

  private async getMany(ids: string[]): Promise<RequestRecord[]> {
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map(keys.request));
    return stored.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as RequestRecord);
  }
}
