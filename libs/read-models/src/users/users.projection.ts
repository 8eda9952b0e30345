import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { USER_STREAM_PREFIX, type UserRecord } from './user-record';

/** The users directory: rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>. */
export class UsersProjection implements Projection {
  readonly name = 'users';

  keysRead(event: RecordedEvent): string[] {
    return isRegistration(event) ? [keys.user((event.data as { userId: string }).userId)] : [];
  }

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    if (!isRegistration(event)) return;
    const d = event.data as Record<string, any>;
    const user: UserRecord = { id: d.userId, name: d.name, email: d.email, role: d.role, teamId: d.teamId ?? null };
    const before = await reader.getJson<UserRecord>(keys.user(user.id));
    // A re-registration may change role or team: leave the old indexes.
    if (before && before.role !== user.role) tx.srem(keys.usersByRole(before.role), user.id);
    if (before?.teamId && before.teamId !== user.teamId) tx.srem(keys.usersByTeam(before.teamId), user.id);
    tx.setJson(keys.user(user.id), user);
    tx.sadd(keys.usersByRole(user.role), user.id);
    if (user.teamId) tx.sadd(keys.usersByTeam(user.teamId), user.id);
  }
}

const isRegistration = (event: RecordedEvent) => event.streamId.startsWith(USER_STREAM_PREFIX) && event.type === 'UserRegistered';
