import type { Queue } from 'bullmq';
import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { foldStored, streamIdFor, type EscalationRole } from '@send/domain';
import { SqliteEventStore, type CheckpointStore, type RecordedEvent } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { InAppChannel } from '../channels';
import type { Recipient, RecipientDirectory } from '../recipients';
import { after, attempt, PERSONAL, run, submit } from '../testing/request-story';
import { until } from '../testing/users';
import { AlertOnAppend } from './alert-on-append';
import { NotificationDispatcher } from './notification-dispatcher';

/** A users read model of a few staff, answering as ReadModelRecipientDirectory does. */
class Staff implements RecipientDirectory {
  constructor(private readonly people: Recipient[]) {}
  async recipientsFor(role: EscalationRole, teamId: string | null): Promise<Recipient[]> {
    return this.people.filter((p) => p.role === role && (role !== 'team_manager' || p.teamId === teamId));
  }
}
const northManager: Recipient = { userId: 'u-north-manager', email: 'north.manager@example.org', role: 'team_manager', teamId: 'north' };
const serviceManager: Recipient = {
  userId: 'u-service-manager',
  email: 'service.manager@example.org',
  role: 'service_manager',
  teamId: null,
};

describe('AlertOnAppend: the api publishes the escalation its command raised, once with the worker', () => {
  let server: { url: string; stop(): Promise<void> };
  let store: SqliteEventStore;
  let publisher: Redis;
  let subscriber: Redis;
  let channelName: string;
  let heard: string[];
  /** The worker's own connections, closed after each test. */
  let workerConnections: Redis[];
  beforeAll(async () => {
    server = await testRedis();
  });
  afterAll(() => server.stop());
  beforeEach(async () => {
    store = new SqliteEventStore({ path: ':memory:' });
    publisher = new Redis(server.url);
    subscriber = new Redis(server.url);
    channelName = `test:${uuid()}:alerts:live`;
    heard = [];
    workerConnections = [];
    subscriber.on('message', (channel: string, message: string) => channel === channelName && heard.push(message));
    await subscriber.subscribe(channelName);
  });
  afterEach(async () => {
    for (const c of workerConnections) c.disconnect();
    subscriber.disconnect();
    publisher.disconnect();
    await store.close();
  });

  /** The api's side: the in-app channel on the Redis and channel the worker uses. */
  const api = (directory: RecipientDirectory) => new AlertOnAppend({ channel: new InAppChannel(publisher, channelName), directory });
  /** The worker's side: the real dispatcher with the same channel (a separate connection, as in another process). */
  const worker = (directory: RecipientDirectory) =>
    new NotificationDispatcher({
      store,
      checkpoints: {} as CheckpointStore,
      queue: { addBulk: async () => [] } as unknown as Queue,
      directory,
      channels: [new InAppChannel(connection(), channelName)],
    });
  const connection = () => {
    const c = new Redis(server.url);
    workerConnections.push(c);
    return c;
  };

  /** A request of `teamId` taken to its third unanswered attempt: what that append stored, and the state after it. */
  const threshold = async (teamId: string | null = 'north') => {
    const requestId = uuid();
    await run(store, submit(requestId, { teamId }), after(0));
    for (const n of [1, 2]) await run(store, attempt(requestId, n), after(n));
    const before = (await store.read(streamIdFor(requestId))).length;
    await run(store, attempt(requestId, 3), after(3));
    const stream = await store.read(streamIdFor(requestId));
    const appended: RecordedEvent[] = stream.slice(before);
    return { requestId, appended, state: foldStored(stream), alertEvent: appended[appended.length - 1] };
  };
  /** Time enough for a second PUBLISH, sent after the first, to arrive (PUBLISH order is kept per connection). */
  const settled = async () => {
    const probe = `${channelName}:probe`;
    const seen = new Promise<void>((resolve) => subscriber.on('message', (c: string) => c === probe && resolve()));
    await subscriber.subscribe(probe);
    const late = new Redis(server.url);
    await late.publish(probe, 'x');
    await seen;
    late.disconnect();
  };

  it('the api first, then the worker dispatching the same event: one alert, the dispatcher’s own delivery', async () => {
    const staff = new Staff([northManager, serviceManager]);
    const { requestId, appended, state, alertEvent } = await threshold();
    expect(alertEvent.type).toBe('EscalationRaised');

    const handedOver: unknown[] = [];
    const publisherWithLocal = new AlertOnAppend({
      channel: new InAppChannel(publisher, channelName),
      directory: staff,
      local: (a) => handedOver.push(a),
    });
    expect(await publisherWithLocal.publish(appended, state)).toBe(true);
    await until(() => heard.length === 1);
    expect(handedOver).toEqual([JSON.parse(heard[0])]); // the api's own streams get what is published
    const dispatcher = worker(staff);
    await dispatcher.handle(alertEvent);
    await settled();

    expect(heard).toHaveLength(1);
    const live = JSON.parse(heard[0]);
    const [planned] = await dispatcher.plan(alertEvent);
    // The same delivery the worker would have made: its id, audience and words.
    expect(live.deliveryId).toBe(planned.opts.jobId);
    expect(live).toMatchObject({
      requestId,
      kind: 'escalation_raised',
      level: 1,
      role: 'team_manager',
      teamId: 'north',
      userIds: [northManager.userId],
    });
    for (const value of Object.values(PERSONAL)) expect(heard[0]).not.toContain(value);
  });

  it('the worker first, then the api: still one', async () => {
    const staff = new Staff([northManager]);
    const { appended, state, alertEvent } = await threshold();
    await worker(staff).handle(alertEvent);
    await until(() => heard.length === 1);
    expect(await api(staff).publish(appended, state)).toBe(true); // sent, as far as it knows: the mark was there
    await settled();
    expect(heard).toHaveLength(1);
  });

  it('both at the same moment, many times over: one alert per escalation', async () => {
    const staff = new Staff([northManager]);
    const raised = await Promise.all([1, 2, 3, 4, 5].map(() => threshold()));
    await Promise.all(
      raised.flatMap(({ appended, state, alertEvent }) => [
        api(staff).publish(appended, state),
        worker(staff).handle(alertEvent),
        api(staff).publish(appended, state), // a retried idempotent command answers the same events
      ]),
    );
    await settled();
    const requestIds = heard.map((m) => JSON.parse(m).requestId).sort();
    expect(requestIds).toEqual(raised.map((r) => r.requestId).sort());
  });

  it('says the same as the worker, field for field', async () => {
    const staff = new Staff([northManager]);
    const { appended, state, alertEvent } = await threshold();
    const apiSaid = new Promise<string>((resolve) => subscriber.once('message', (_c: string, m: string) => resolve(m)));
    await api(staff).publish(appended, state);
    const fromApi = JSON.parse(await apiSaid);
    // The worker's publish of the same delivery, on another channel and without the mark.
    const otherChannel = `${channelName}:worker`;
    const workerSaid = new Promise<string>((resolve) =>
      subscriber.on('message', (c: string, m: string) => c === otherChannel && resolve(m)),
    );
    await subscriber.subscribe(otherChannel);
    await new NotificationDispatcher({
      store,
      checkpoints: {} as CheckpointStore,
      queue: { addBulk: async () => [] } as unknown as Queue,
      directory: staff,
      channels: [new InAppChannel(publisher, otherChannel)],
    }).handle(alertEvent);
    expect(fromApi).toEqual(JSON.parse(await workerSaid));
  });

  it('leaves a team with no manager to the worker (it waits for the users read model; the api does not), which alerts the service managers once', async () => {
    const staff = new Staff([serviceManager]);
    const { appended, state, alertEvent } = await threshold('south');
    expect(await api(staff).publish(appended, state)).toBe(false);
    await settled();
    expect(heard).toHaveLength(0);
    await worker(staff).handle(alertEvent);
    await until(() => heard.length === 1);
    expect(JSON.parse(heard[0])).toMatchObject({ role: 'service_manager', userIds: [serviceManager.userId] });
  });

  it('looks the recipients up while the append commits (prefetch), and not again when it publishes', async () => {
    const asked: string[] = [];
    const staff = new Staff([northManager]);
    const counting: RecipientDirectory = {
      recipientsFor: (role, teamId) => (asked.push(`${role}|${teamId}`), staff.recipientsFor(role, teamId)),
    };
    const publisher = api(counting);
    const { appended, state } = await threshold();
    // What the decider decided, before it was stored: the same types and data.
    const lookup = publisher.prefetch(
      appended.map((e) => ({ type: e.type, data: e.data })),
      'north',
    );
    expect(asked).toEqual(['team_manager|north']);
    expect(await publisher.publish(appended, state, lookup)).toBe(true);
    expect(asked).toEqual(['team_manager|north']);
    await until(() => heard.length === 1);
    expect(publisher.prefetch([{ type: 'ContactAttemptRecorded', data: {} }], 'north')).toBeUndefined();
  });

  it('publishes nothing for a command that raised no escalation', async () => {
    const requestId = uuid();
    await run(store, submit(requestId), after(0));
    await run(store, attempt(requestId, 1), after(1));
    const stream = await store.read(streamIdFor(requestId));
    expect(await api(new Staff([northManager])).publish(stream.slice(-1), foldStored(stream))).toBe(false);
    await settled();
    expect(heard).toHaveLength(0);
  });
});
