import { ERASED, evolveUserAccount, isPersonalDataErased, USER_STREAM_PREFIX } from '@send/domain';
import { dashboardRowOf } from '../dashboard/dashboard-row';
import type { QueueEntry } from '../queues/queue-entry';
import { recordOf, type StoredRequest } from '../request-view/request-view';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { toAccount, toUserRecord, type UserRecord } from './user-record';

/**
 * The users directory: rm:user:<id>, rm:users:role:<role>, rm:users:team:<teamId>. Assignee names
 * and alert recipients read it. The account is the domain's fold (evolveUserAccount) onto the record
 * as it was, so it ends as folding the stream would (less the password hash, which never comes here).
 * An erased account keeps its record (ids, role, team; name and email ERASED) but leaves the role
 * and team indexes: nobody to notify, route to or list; and the requests assigned to it show the
 * assignee's name as ERASED (the view names only the current assignee, so those are all the copies).
 */
export class UsersProjection implements Projection {
  readonly name = 'users';

  keysRead(event: RecordedEvent): string[] {
    const userId = userIdOfEvent(event);
    return userId ? [keys.user(userId)] : [];
  }

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> | void {
    const userId = userIdOfEvent(event);
    if (userId) return this.apply(userId, event, reader, tx);
  }

  private async apply(userId: string, event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const before = await reader.getJson<UserRecord>(keys.user(userId));
    const account = evolveUserAccount(before ? toAccount(before) : null, event);
    if (!account) return;
    const user = toUserRecord(account);
    const listed = !user.erased;
    // A re-registration may change role or team: leave the old indexes.
    if (before && (before.role !== user.role || !listed)) tx.srem(keys.usersByRole(before.role), user.id);
    if (before?.teamId && (before.teamId !== user.teamId || !listed)) tx.srem(keys.usersByTeam(before.teamId), user.id);
    tx.setJson(keys.user(user.id), user);
    if (isPersonalDataErased(event)) await eraseAssigneeName(user.id, reader, tx);
    if (!listed) return;
    tx.sadd(keys.usersByRole(user.role), user.id);
    if (user.teamId) tx.sadd(keys.usersByTeam(user.teamId), user.id);
  }
}

/** The requests assigned to this user now: their record, dashboard row and queue row name them ERASED. */
async function eraseAssigneeName(userId: string, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
  for (const requestId of await reader.getZsetMembers(keys.requestsByAssignee(userId))) {
    const stored = await reader.getJson<StoredRequest>(keys.request(requestId));
    if (!stored || stored.state.assignee?.officerId !== userId || !stored.assigneeName || stored.assigneeName === ERASED) continue;
    const erased: StoredRequest = { ...stored, assigneeName: ERASED };
    tx.setJson(keys.request(requestId), erased);
    tx.setJson(keys.dashboardRow(requestId), dashboardRowOf(recordOf(erased)));
    const entry = await reader.getJson<QueueEntry>(keys.queueEntry(requestId));
    if (entry?.assignee?.id === userId) tx.setJson(keys.queueEntry(requestId), { ...entry, assignee: { id: userId, name: ERASED } });
  }
}

function userIdOfEvent(event: RecordedEvent): string | null {
  if (!event.streamId.startsWith(USER_STREAM_PREFIX)) return null;
  // An erasure names no one: the stream is the account's.
  if (isPersonalDataErased(event)) return event.streamId.slice(USER_STREAM_PREFIX.length) || null;
  const userId = (event.data as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' && userId ? userId : null;
}
