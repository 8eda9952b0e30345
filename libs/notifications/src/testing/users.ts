import { v4 as uuid } from 'uuid';
import { userStreamId } from '@send/domain';
import type { EventStore } from '@send/event-store';

/** Appends a UserRegistered as apps/api's accounts do (its own stream, userStreamId). */
export async function registerUser(
  store: EventStore,
  user: { email: string; role: string; teamId: string | null; name?: string },
): Promise<string> {
  const userId = uuid();
  await store.append(
    userStreamId(userId),
    [
      {
        id: uuid(),
        type: 'UserRegistered',
        data: {
          schemaVersion: 1,
          userId,
          email: user.email,
          name: user.name ?? 'Staff Member',
          role: user.role,
          teamId: user.teamId,
          passwordHash: 'x',
        },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
  return userId;
}

/** The demo service's managers (apps/api demo-users), plus staff who must never get alerts. */
export async function registerStaff(store: EventStore) {
  return {
    northManager: await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' }),
    southManager: await registerUser(store, { email: 'manager2@example.org', role: 'team_manager', teamId: 'south' }),
    serviceManager: await registerUser(store, { email: 'service.manager@example.org', role: 'service_manager', teamId: null }),
    head: await registerUser(store, { email: 'head@example.org', role: 'head_of_service', teamId: null }),
    officer: await registerUser(store, { email: 'officer@example.org', role: 'officer', teamId: 'north' }),
    parent: await registerUser(store, { email: 'parent@example.org', role: 'parent', teamId: null }),
  };
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
