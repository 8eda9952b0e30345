import { TakeTurns } from './take-turns';

describe('TakeTurns', () => {
  it('hands the loop over once every `every` steps, after callbacks queued meanwhile', async () => {
    const turns = new TakeTurns({ every: 3, maxMs: 60_000 });
    const order: string[] = [];
    setImmediate(() => order.push('queued I/O'));
    expect(turns.turn()).toBeUndefined();
    expect(turns.turn()).toBeUndefined();
    const third = turns.turn();
    expect(third).toBeInstanceOf(Promise);
    await third!.then(() => order.push('turn'));
    expect(order).toEqual(['queued I/O', 'turn']);
    expect([turns.turn(), turns.turn()]).toEqual([undefined, undefined]);
    expect(turns.turns).toBe(1);
  });

  it('hands over early when a slice has run past maxMs', async () => {
    const turns = new TakeTurns({ every: 1_000_000, maxMs: 0 });
    const turn = turns.turn();
    expect(turn).toBeInstanceOf(Promise);
    await turn;
  });
});
