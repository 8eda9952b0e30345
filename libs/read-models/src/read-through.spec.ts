import type Redis from 'ioredis';
import { ReadThroughOverlay } from './read-through';

describe('ReadThroughOverlay.atBatchEnd', () => {
  // Derivations neither read nor write here: no Redis is reached.
  const overlay = () => new ReadThroughOverlay(null as unknown as Redis);

  it('runs the first registration of each owner and id once, in the order first registered across owners', async () => {
    const tx = overlay();
    const ran: string[] = [];
    const note = (what: string) => () => void ran.push(what);
    tx.atBatchEnd('queues', 'r1', note('queues r1 (1st)'));
    tx.atBatchEnd('alerts', 'r1', note('alerts r1'));
    tx.atBatchEnd('queues', 'r2', note('queues r2'));
    tx.atBatchEnd('queues', 'r1', note('queues r1 (2nd)'));
    // Two pairs that joined as "owner:id" would be the same text stay apart.
    tx.atBatchEnd('queues', 'r1:x', note('queues r1:x'));
    tx.atBatchEnd('queues:r1', 'x', note('queues:r1 x'));
    await tx.endBatch();
    expect(ran).toEqual(['queues r1 (1st)', 'alerts r1', 'queues r2', 'queues r1:x', 'queues:r1 x']);
  });

  it('runs a derivation registered while the others run, and forgets them all after the batch', async () => {
    const tx = overlay();
    const ran: string[] = [];
    tx.atBatchEnd('a', '1', async () => {
      await Promise.resolve();
      ran.push('a1');
      tx.atBatchEnd('b', '1', () => void ran.push('b1'));
    });
    await tx.endBatch();
    expect(ran).toEqual(['a1', 'b1']);
    tx.atBatchEnd('a', '1', () => void ran.push('a1 again'));
    await tx.endBatch();
    expect(ran).toEqual(['a1', 'b1', 'a1 again']);
  });
});
