import type Redis from 'ioredis';
import type { CallState } from '@send/domain';
import { keys } from '../keys';
import { readZsetPageValues, type Page, type PageRequest } from '../paging/zset-page';
import type { UnmatchedNumber } from './unmatched-number';

/** Reads the telephony read model (TelephonyProjection). */
export class TelephonyRepository {
  constructor(private readonly redis: Redis) {}

  async call(callId: string): Promise<CallState | null> {
    const stored = await this.redis.get(keys.telephonyCall(callId));
    return stored ? (JSON.parse(stored) as CallState) : null;
  }

  /** One page of the numbers with unmatched calls, the most recent caller first. */
  async pageUnmatched(page: PageRequest): Promise<Page<UnmatchedNumber>> {
    return readZsetPageValues(this.redis, keys.unmatchedNumbers(), keys.unmatchedNumber(''), 'desc', page);
  }

  /** One number's unmatched calls, newest first; null when it has none. */
  async unmatched(number: string): Promise<UnmatchedNumber | null> {
    const stored = await this.redis.get(keys.unmatchedNumber(number));
    return stored ? (JSON.parse(stored) as UnmatchedNumber) : null;
  }
}
