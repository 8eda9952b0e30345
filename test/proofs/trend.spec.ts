import { flatness, linearFit, percentile } from './trend';

// A fixed pseudo-random jitter, so the cases never depend on the run.
let seed = 7;
const jitter = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31 - 0.5) * 2;
const series = (n: number, y: (x: number) => number) => Array.from({ length: n }, (_, x) => ({ x, y: y(x) }));

describe('the soak flatness rule', () => {
  it('fits a line exactly through points on it', () => {
    const fit = linearFit(series(10, (x) => 3 + 2 * x));
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(3, 10);
    expect(fit.noise).toBeCloseTo(0, 10);
  });

  it('calls a level series with jitter flat', () => {
    const f = flatness(series(25, () => 100 + 5 * jitter()));
    expect(f.flat).toBe(true);
    expect(f.trend).toBe('flat');
    expect(Math.abs(f.change)).toBeLessThanOrEqual(f.bound);
  });

  it('calls a steady climb not flat, even a small one with little noise', () => {
    // +0.5 MB a minute on 200 MB, 0.2 MB of jitter: 12 MB over the run, far above its noise.
    const f = flatness(series(25, (x) => 200 + 0.5 * x + 0.2 * jitter()));
    expect(f.flat).toBe(false);
    expect(f.trend).toBe('rising');
    expect(f.change).toBeGreaterThan(10);
  });

  it('tells a fall (memory a collection gave back) from a rise', () => {
    const f = flatness(series(25, (x) => (x < 12 ? 220 : 180) + jitter()));
    expect(f.flat).toBe(false);
    expect(f.trend).toBe('falling');
  });

  it('calls a climb buried in noise flat (within noise is what flat means)', () => {
    const f = flatness(series(25, (x) => 100 + 0.01 * x + 5 * jitter()));
    expect(f.flat).toBe(true);
  });

  it('says nothing from too few samples', () => {
    expect(flatness(series(3, (x) => x)).flat).toBeNull();
    expect(flatness(series(3, (x) => x)).trend).toBeNull();
    expect(flatness([]).flat).toBeNull();
  });

  it('takes the nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([], 99)).toBeNaN();
  });
});
