import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@send/event-store';
import { REFERENCE_BLOCK, ReferenceNumbers, referenceStreamFor } from './reference-numbers';

describe('ReferenceNumbers: references that never repeat, kept in the event store', () => {
  let dir: string;
  let store: SqliteEventStore;
  const now = new Date('2026-12-01T10:00:00Z');
  const numberOf = (reference: string) => Number(/^SEND-2026-(\d{6})$/.exec(reference)![1]);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'references-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts up from 1 within a block, reserving one block per REFERENCE_BLOCK references', async () => {
    const references = new ReferenceNumbers(store);
    const given = [];
    for (let i = 0; i < REFERENCE_BLOCK + 1; i++) given.push(await references.next(now));
    expect(given.slice(0, 3)).toEqual(['SEND-2026-000001', 'SEND-2026-000002', 'SEND-2026-000003']);
    expect(given.map(numberOf)).toEqual(Array.from({ length: REFERENCE_BLOCK + 1 }, (_, i) => i + 1));
    expect((await store.read(referenceStreamFor(2026))).map((e) => e.data)).toEqual([
      { schemaVersion: 1, year: 2026, from: 1, to: REFERENCE_BLOCK },
      { schemaVersion: 1, year: 2026, from: REFERENCE_BLOCK + 1, to: 2 * REFERENCE_BLOCK },
    ]);
  });

  it('never gives one twice: two processes at once, and a restart (which leaves a gap, not a repeat)', async () => {
    const [api1, api2] = [new ReferenceNumbers(store), new ReferenceNumbers(store)];
    const given = await Promise.all(Array.from({ length: 3 * REFERENCE_BLOCK }, (_, i) => (i % 2 ? api1 : api2).next(now)));
    expect(new Set(given).size).toBe(given.length);
    const restarted = new ReferenceNumbers(store);
    const after = await restarted.next(now);
    expect(given).not.toContain(after);
    expect(numberOf(after)).toBeGreaterThan(Math.max(...given.map(numberOf)));
  });

  it('starts each year at 1, in its own stream', async () => {
    const references = new ReferenceNumbers(store);
    expect(await references.next(now)).toBe('SEND-2026-000001');
    expect(await references.next(new Date('2027-01-04T09:00:00Z'))).toBe('SEND-2027-000001');
  });
});
