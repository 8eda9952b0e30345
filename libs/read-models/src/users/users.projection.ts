import { evolveUserAccount, USER_STREAM_PREFIX } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { toAccount, toUserRecord, type UserRecord } from './user-record';

/**
 * The users directory: rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>. Assignee names
 * and alert recipients read it. The account is the domain's fold (evolveUserAccount) onto the record
 * as it was, so it ends as folding the stream would (less the password hash, which never comes here).
 */
export class UsersProjection implements Projection {
  readonly name = 'users';

  keysRead(event: RecordedEvent): string[] {
    const userId = userIdOfEvent(event);
    return userId ? [keys.user(userId)] : [];
  }

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const userId = userIdOfEvent(event);
    if (!userId) return;
    const before = await reader.getJson<UserRecord>(keys.user(userId));
    const account = evolveUserAccount(before ? toAccount(before) : null, event);
    if (!account) return;
    const user = toUserRecord(account);
    // A re-registration may change role or team: leave the old indexes.
    if (before && before.role !== user.role) tx.srem(keys.usersByRole(before.role), user.id);
    if (before?.teamId && before.teamId !== user.teamId) tx.srem(keys.usersByTeam(before.teamId), user.id);
    tx.setJson(keys.user(user.id), user);
    tx.sadd(keys.usersByRole(user.role), user.id);
    if (user.teamId) tx.sadd(keys.usersByTeam(user.teamId), user.id);
  }
}

function userIdOfEvent(event: RecordedEvent): string | null {
  if (!event.streamId.startsWith(USER_STREAM_PREFIX)) return null;
  const userId = (event.data as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' && userId ? userId : null;
}
