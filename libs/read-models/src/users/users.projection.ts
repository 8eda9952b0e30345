import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import { USER_STREAM_PREFIX, type UserRecord } from './user-record';

/** The users directory: rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>. */
export class UsersProjection implements Projection {
  readonly name = 'users';

  async project(event: RecordedEvent, redis: Redis, tx: ChainableCommander): Promise<void> {
    if (!event.streamId.startsWith(USER_STREAM_PREFIX) || event.type !== 'UserRegistered') return;
    const d = event.data as Record<string, any>;
    const user: UserRecord = { id: d.userId, name: d.name, email: d.email, role: d.role, teamId: d.teamId ?? null };
    const stored = await redis.get(keys.user(user.id));
    const before: UserRecord | null = stored ? JSON.parse(stored) : null;
    // A re-registration may change role or team: leave the old indexes.
    if (before && before.role !== user.role) tx.srem(keys.usersByRole(before.role), user.id);
    if (before?.teamId && before.teamId !== user.teamId) tx.srem(keys.usersByTeam(before.teamId), user.id);
    tx.set(keys.user(user.id), JSON.stringify(user));
    tx.sadd(keys.usersByRole(user.role), user.id);
    if (user.teamId) tx.sadd(keys.usersByTeam(user.teamId), user.id);
  }
}
