import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AppMetrics } from './metrics';

/** A full collection on demand, without starting Jest with --expose-gc. */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

const gaugeOf = async (metrics: AppMetrics, name: string): Promise<number> => {
  const line = (await metrics.scrape()).body.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
};

describe('AppMetrics: heap after a full collection', () => {
  it('reads what survived the last full collection, and follows what is kept alive', async () => {
    const metrics = new AppMetrics('api');
    const name = 'send_heap_used_after_major_gc_bytes';

    const settle = async () => {
      fullGc();
      // The GC's performance entry is delivered after the collection, on a later turn.
      for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 10));
      return gaugeOf(metrics, name);
    };
    // 40 MB kept alive across a collection, then let go: the gauge falls by about that much. (Not
    // measured against a reading before the 40 MB: in a Jest worker, what earlier spec files left
    // may be freed by the same collections and would hide the climb.)
    const kept = Array.from({ length: 40 }, () => new Array<number>(131_072).fill(1.5));
    const held = await settle();
    expect(held).toBeGreaterThan(40_000_000);
    kept.length = 0;
    const released = await settle();
    expect(released).toBeGreaterThan(1_000_000);
    expect(held - released).toBeGreaterThan(30_000_000);
  });
});
