import { v4 as uuid } from 'uuid';
import { SqliteEventStore, type RecordedEvent } from '@send/event-store';
import { isAlertEventType } from '../templates';
import { advance, after, attempt, run, submit } from '../testing/request-story';
import { KeptStates, loadAlert } from './load-alert';

describe('loadAlert with kept states', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ path: ':memory:' })));
  afterEach(() => store.close());

  it('words every alert as a cold read of the whole stream does, redeliveries included', async () => {
    const requestId = uuid();
    await run(store, submit(requestId), after(0));
    for (const n of [1, 2, 3, 4, 5]) await run(store, attempt(requestId, n), after(n));
    const events = await store.read(`contact-request-${requestId}`);
    const raised = events.find((e) => e.type === 'EscalationRaised')!;
    await run(store, advance(requestId, (raised.data as { escalationId: string }).escalationId, 1), after(3600));
    for (const n of [6, 7]) await run(store, attempt(requestId, n), after(3600 + n));

    const all: RecordedEvent[] = await store.read(`contact-request-${requestId}`);
    const alerts = all.filter((e) => isAlertEventType(e.type));
    expect(alerts.length).toBeGreaterThan(1);
    const kept = new KeptStates();
    let worded = 0;
    // In order, then each again (a redelivery folds from before its kept revision: a cold read).
    for (const event of [...alerts, ...alerts]) {
      const cold = await loadAlert(store, event);
      expect(await loadAlert(store, event, { kept })).toEqual(cold);
      if (cold) worded++;
    }
    expect(worded).toBeGreaterThan(0);
  });
});
