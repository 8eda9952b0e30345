import fc from 'fast-check';
import { DuplicateEventId, type RecordedEvent } from '../event-store.port';
import { appendSize, compareWithStored } from './kurrentdb-idempotency';

const stored = (ids: string[], firstRevision = 0): RecordedEvent[] =>
  ids.map((id, i) => ({
    id,
    streamId: 's',
    type: 'Happened',
    revision: BigInt(firstRevision + i),
    position: BigInt(1000 + 10 * (firstRevision + i)),
    data: {},
    metadata: {},
    recordedAt: new Date(0),
  }));

describe('compareWithStored (the SQLite adapter idempotentResult rules, on the stream read back)', () => {
  it('appends when none of the ids is stored', () => {
    expect(compareWithStored('s', ['x', 'y'], stored(['a', 'b']))).toEqual({ kind: 'append' });
    expect(compareWithStored('s', ['x'], [])).toEqual({ kind: 'append' });
  });

  it('answers a full overlap with the original revision, position and events', () => {
    const events = stored(['a', 'b', 'c', 'd'], 5);
    const result = compareWithStored('s', ['b', 'c'], events);
    expect(result).toEqual({ kind: 'already-stored', result: { nextRevision: 7n, position: 1070n, events: events.slice(1, 3) } });
  });

  it('refuses a partial overlap, ids in another order, or a later id stored while the first is new', () => {
    const events = stored(['a', 'b', 'c']);
    expect(() => compareWithStored('s', ['b', 'c', 'x'], events)).toThrow(/is new while earlier ids of this append are already stored/);
    expect(() => compareWithStored('s', ['a', 'c'], events)).toThrow(/not right after the previous id/);
    expect(() => compareWithStored('s', ['x', 'b'], events)).toThrow(/already stored while earlier ids of this append are new/);
    expect(() => compareWithStored('s', ['c', 'd'], events)).toThrow(DuplicateEventId);
  });

  const uniqueIds = fc.uniqueArray(fc.uuid(), { minLength: 0, maxLength: 12 });

  it('property: a run of stored ids is a no-op, fresh ids append, any mix is refused', () => {
    fc.assert(
      fc.property(uniqueIds, uniqueIds, fc.nat(), fc.nat(), (storedIds, candidates, startSeed, lengthSeed) => {
        const fresh = candidates.filter((id) => !storedIds.includes(id));
        const events = stored(storedIds);
        // A contiguous run of what is stored: a retry of that append.
        if (storedIds.length > 0) {
          const start = startSeed % storedIds.length;
          const length = 1 + (lengthSeed % (storedIds.length - start));
          const run = storedIds.slice(start, start + length);
          const outcome = compareWithStored('s', run, events);
          if (outcome.kind !== 'already-stored') return false;
          if (outcome.result.events?.map((e) => e.id).join() !== run.join()) return false;
          if (outcome.result.nextRevision !== BigInt(start + length - 1)) return false;
          // The same run followed by a new id, or preceded by one: partly overlapping, refused.
          if (fresh.length > 0) {
            if (!throwsDuplicate(() => compareWithStored('s', [...run, fresh[0]], events))) return false;
            if (!throwsDuplicate(() => compareWithStored('s', [fresh[0], ...run], events))) return false;
          }
        }
        if (fresh.length > 0 && compareWithStored('s', fresh, events).kind !== 'append') return false;
        return true;
      }),
    );
  });
});

function throwsDuplicate(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    return error instanceof DuplicateEventId;
  }
}

describe('appendSize', () => {
  it('counts as the server does: data and metadata bytes, two bytes per character of the type', () => {
    expect(appendSize([{ type: 'Ab', data: '{"n":"é"}', metadata: '{}' }])).toBe(10 + 2 + 4);
    expect(appendSize([])).toBe(0);
  });
});
