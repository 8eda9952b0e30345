import { v4 as uuid } from 'uuid';
import { foldStored, KeptStates, type ContactRequestCommand } from '@send/domain';
import { SqliteEventStore, type EventStore, type RecordedEvent } from '@send/event-store';
import { isAlertEventType } from '../templates';
import { advance, after, attempt, run, submit } from '../testing/request-story';
import { loadAlert } from './load-alert';

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

  it('kept up with the events between alerts (follow), an alert reads only itself and what followed', async () => {
    const requestId = uuid();
    const respond = (n: number): ContactRequestCommand => ({
      type: 'RecordResponse',
      requestId,
      responseId: `r${n}`,
      officerId: 'officer-1',
      channel: 'phone',
      summary: 'Called back',
    });
    // A busy request: escalated, answered, escalated again by the next unanswered calls, six times over.
    let t = 0;
    await run(store, submit(requestId), after(t++));
    for (let round = 0; round < 6; round++) {
      for (let n = 0; n < 4; n++) await run(store, attempt(requestId, round * 10 + n), after(t++));
      await run(store, respond(round), after(t++));
    }
    const all: RecordedEvent[] = await store.read(`contact-request-${requestId}`);
    const alerts = all.filter((e) => isAlertEventType(e.type));
    expect(alerts.length).toBeGreaterThan(3);

    const readFrom: Array<bigint | undefined> = [];
    const counting = { read: (stream, options) => (readFrom.push(options?.fromRevision), store.read(stream, options)) } as EventStore;
    const kept = new KeptStates();
    // As the dispatcher sees them: every event of the stream in order, alerts loaded, the others followed.
    for (const event of all) {
      if (!isAlertEventType(event.type)) {
        kept.follow(event);
        continue;
      }
      expect(await loadAlert(counting, event, { kept })).toEqual(await loadAlert(store, event));
    }
    // The first alert read the stream whole (nothing kept yet); every later one from its own revision.
    expect(readFrom).toEqual([undefined, ...alerts.slice(1).map((e) => e.revision)]);
  });

  it('follow folds only an event that directly follows the kept state', async () => {
    const requestId = uuid();
    await run(store, submit(requestId), after(0));
    for (const n of [1, 2, 3, 4, 5]) await run(store, attempt(requestId, n), after(n));
    const all = await store.read(`contact-request-${requestId}`);
    const raised = all.find((e) => e.type === 'EscalationRaised')!;
    const kept = new KeptStates();
    kept.follow(all[0]); // no state kept for the stream: nothing to fold on
    expect(kept.get(raised.streamId)).toBeUndefined();
    await loadAlert(store, raised, { kept });
    const later = all.filter((e) => e.revision > raised.revision);
    expect(later.length).toBeGreaterThan(1);
    kept.follow(later[1]); // a gap: left for the next alert's read
    expect(kept.get(raised.streamId)!.revision).toBe(raised.revision);
    kept.follow(later[0]);
    kept.follow(later[0]); // seen again (a batch retried): already folded
    kept.follow(later[1]);
    expect(kept.get(raised.streamId)!.revision).toBe(later[1].revision);
    expect(kept.get(raised.streamId)!.state).toEqual(foldStored(all.filter((e) => e.revision <= later[1].revision)));
  });
});
