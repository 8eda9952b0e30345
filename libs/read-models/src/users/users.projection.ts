import { evolveUserAccount, USER_STREAM_PREFIX } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { toUserRecord, type UserRecord } from './user-record';

/**
 * The users directory: rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>. Assignee names
 * and alert recipients read it. The account is the domain's fold (evolveUserAccount): a registration
 * replaces the whole account, so folding it from nothing gives what folding the stream would.
 */
export class UsersProjection implements Projection {
  readonly name = 'users';

  keysRead(event: RecordedEvent): string[] {
    const account = accountOf(event);
    return account ? [keys.user(account.id)] : [];
  }

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const user = accountOf(event);
    if (!user) return;
    const before = await reader.getJson<UserRecord>(keys.user(user.id));
    // A re-registration may change role or team: leave the old indexes.
    if (before && before.role !== user.role) tx.srem(keys.usersByRole(before.role), user.id);
    if (before?.teamId && before.teamId !== user.teamId) tx.srem(keys.usersByTeam(before.teamId), user.id);
    tx.setJson(keys.user(user.id), user);
    tx.sadd(keys.usersByRole(user.role), user.id);
    if (user.teamId) tx.sadd(keys.usersByTeam(user.teamId), user.id);
  }
}

function accountOf(event: RecordedEvent): UserRecord | null {
  if (!event.streamId.startsWith(USER_STREAM_PREFIX)) return null;
  const account = evolveUserAccount(null, event);
  return account ? toUserRecord(account) : null;
}
