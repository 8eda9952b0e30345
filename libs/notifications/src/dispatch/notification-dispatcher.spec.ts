import type { Queue } from 'bullmq';
import { v4 as uuid } from 'uuid';
import type { EscalationRole } from '@send/domain';
import { SqliteEventStore, type CheckpointStore, type EventStore, type RecordedEvent } from '@send/event-store';
import type { DeliveryTarget } from '../channels';
import type { Recipient, RecipientDirectory } from '../recipients';
import { after, attempt, run, submit } from '../testing/request-story';
import { registerUser } from '../testing/users';
import { NotificationDispatcher, type PlannedDelivery } from './notification-dispatcher';

/** Records the position each lookup asked the users read model to have reached. */
class RecordingDirectory implements RecipientDirectory {
  readonly asked: Array<bigint | undefined> = [];
  async recipientsFor(role: EscalationRole, teamId: string | null, asOf?: bigint): Promise<Recipient[]> {
    this.asked.push(asOf);
    return [{ userId: 'm', email: 'manager@example.org', role, teamId }];
  }
}

describe('NotificationDispatcher: how far the users read model must have got', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());

  const dispatcherWith = (directory: RecipientDirectory) =>
    new NotificationDispatcher({
      store,
      checkpoints: {} as CheckpointStore,
      queue: { addBulk: async () => [] } as unknown as Queue,
      directory,
      channels: [{ name: 'email', fanOut: 'recipient' }],
    });
  const escalate = async (requestId: string, teamId = 'north') => {
    await run(store, submit(requestId, { teamId }), after(0));
    for (const n of [1, 2, 3]) await run(store, attempt(requestId, n), after(n));
  };
  const inOrder = async (): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    const sub = store.subscribeToAll({ from: 'start' });
    for await (const e of sub) {
      events.push(e);
      if (e.position === (await store.headPosition())) break;
    }
    await sub.close();
    return events;
  };

  it('asks for the last account event seen, not the alert: a busy projection of requests does not hold alerts back', async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    await registerUser(store, { email: 'manager3@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    const directory = new RecordingDirectory();
    const dispatcher = dispatcherWith(directory);
    const events = await inOrder();
    for (const event of events) await dispatcher.handle(event);

    const accounts = events.filter((e) => e.streamId.startsWith('user-')).map((e) => e.position);
    // Started from the beginning: it saw the first account, then the second one.
    expect(directory.asked).toEqual([accounts[0], accounts[1]]);
  });

  it('started from a checkpoint it knows no account event: the first alert waits for its own position, later ones need not', async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    await escalate(uuid(), 'south');
    const directory = new RecordingDirectory();
    const dispatcher = dispatcherWith(directory);
    const requestEvents = (await inOrder()).filter((e) => e.streamId.startsWith('contact-request-'));
    for (const event of requestEvents) await dispatcher.handle(event);
    const alerts = requestEvents.filter((e) => e.type === 'EscalationRaised').map((e) => e.position);
    expect(directory.asked).toEqual([alerts[0], 0n]);
  });

  it('asks once per role and team until an account changes, not once per alert', async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    await escalate(uuid());
    await registerUser(store, { email: 'manager3@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    const directory = new RecordingDirectory();
    const dispatcher = dispatcherWith(directory);
    const events = await inOrder();
    for (const event of events) await dispatcher.handle(event);

    const accounts = events.filter((e) => e.streamId.startsWith('user-')).map((e) => e.position);
    expect(directory.asked).toEqual([accounts[0], accounts[1]]); // the second alert asked nothing
  });

  it("a family's choice of how to hear from us, on their account stream, is no account change: lookups are kept", async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    const family = await registerUser(store, { email: 'parent@example.org', role: 'parent', teamId: null });
    await store.append(
      `user-${family}`,
      [
        {
          id: uuid(),
          type: 'FamilyNotificationsSet',
          data: { schemaVersion: 1, userId: family, channel: 'sms', by: family, at: after(5).toISOString() },
        },
      ],
      { expectedRevision: 0n },
    );
    await escalate(uuid());
    const directory = new RecordingDirectory();
    const dispatcher = dispatcherWith(directory);
    const events = await inOrder();
    await dispatcher.handleBatch(events);

    const registered = events.filter((e) => e.type === 'UserRegistered').map((e) => e.position);
    // The family's registration is an account event (the second alert asks as of it); their choice
    // after it is not: taken for one, the second alert would have asked as of the choice.
    expect(directory.asked).toEqual(registered);
  });

  it('does not keep a lookup that failed: the retried alert asks again', async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    const directory = new RecordingDirectory();
    let failures = 1;
    const flaky: RecipientDirectory = {
      recipientsFor: async (role, teamId, asOf) => {
        if (failures-- > 0) throw new Error('users read model is behind the alert');
        return directory.recipientsFor(role, teamId, asOf);
      },
    };
    const dispatcher = dispatcherWith(flaky);
    const alert = (await inOrder()).find((e) => e.type === 'EscalationRaised')!;
    await expect(dispatcher.handle(alert)).rejects.toThrow('behind the alert');
    await dispatcher.handle(alert);
    expect(directory.asked).toEqual([alert.position]);
  });

  it('sends the delivery of an immediate channel (in-app) itself, and queues the others', async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    await escalate(uuid());
    const sent: Array<{ deliveryId: string; to: DeliveryTarget }> = [];
    const queued: Array<Array<string | undefined>> = [];
    const dispatcher = new NotificationDispatcher({
      store,
      checkpoints: {} as CheckpointStore,
      queue: {
        addBulk: async (jobs: PlannedDelivery[]) => {
          queued.push(jobs.map((j) => j.opts.jobId));
          return [];
        },
      } as unknown as Queue,
      directory: new RecordingDirectory(),
      channels: [
        { name: 'email', fanOut: 'recipient' },
        { name: 'in_app', fanOut: 'audience', immediate: true, send: async (o, to) => void sent.push({ deliveryId: o.deliveryId, to }) },
      ],
    });
    const alert = (await inOrder()).find((e) => e.type === 'EscalationRaised')!;
    await dispatcher.handle(alert);
    expect(sent).toEqual([
      { deliveryId: `${alert.id}|in_app|role-team_manager-north`, to: { role: 'team_manager', teamId: 'north', userIds: ['m'] } },
    ]);
    expect(queued).toEqual([[`${alert.id}|email|user-m`]]);
  });

  it("keeps up with an alerting request's other events: its next alert reads from itself on, not everything since the last", async () => {
    await registerUser(store, { email: 'manager@example.org', role: 'team_manager', teamId: 'north' });
    const requestId = uuid();
    await escalate(requestId);
    for (let round = 1; round <= 3; round++) {
      await run(
        store,
        { type: 'RecordResponse', requestId, responseId: `r${round}`, officerId: 'o', channel: 'phone', summary: 'Called back' },
        after(10 * round),
      );
      for (const n of [1, 2, 3, 4]) await run(store, attempt(requestId, 10 * round + n), after(10 * round + n));
    }
    const readFrom: Array<bigint | undefined> = [];
    const counting = { read: (stream, options) => (readFrom.push(options?.fromRevision), store.read(stream, options)) } as EventStore;
    const queued: string[] = [];
    const dispatcher = new NotificationDispatcher({
      store: counting,
      checkpoints: {} as CheckpointStore,
      queue: { addBulk: async (jobs: PlannedDelivery[]) => void queued.push(...jobs.map((j) => j.data.alert.alertId)) } as unknown as Queue,
      directory: new RecordingDirectory(),
      channels: [{ name: 'email', fanOut: 'recipient' }],
    });
    const events = await inOrder();
    await dispatcher.handleBatch(events.slice(0, 5));
    for (const event of events.slice(5)) await dispatcher.handle(event);

    const raised = events.filter((e) => e.type === 'EscalationRaised');
    expect(raised).toHaveLength(4);
    // The earlier three were answered before this dispatcher saw them: settled, nobody is told.
    expect(queued).toEqual([raised[3].id]);
    expect(readFrom).toEqual([undefined, ...raised.slice(1).map((e) => e.revision)]);
  });
});
