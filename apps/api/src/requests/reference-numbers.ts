import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { keys } from '@send/read-models';
import { REDIS } from '@send/platform';

/**
 * Human references, SEND-<year>-<6 digits>, from a Redis counter per year. The request-view
 * projection raises the counter to every reference it sees, so a rebuilt Redis never reissues one.
 */
@Injectable()
export class ReferenceNumbers {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async next(now: Date): Promise<string> {
    const year = now.getUTCFullYear();
    const n = await this.redis.incr(keys.referenceSequence(year));
    return `SEND-${year}-${String(n).padStart(6, '0')}`;
  }
}
