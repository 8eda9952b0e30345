import type { BenchRecord } from './results';
import type { Figure } from './results';
import { ratioOf, renderReport, verdictOf } from './report';

const machine = { cpus: 2, model: 'Test CPU', memoryGb: 8, node: 'v20.0.0', loadAverage: [0.1, 0.2, 0.3], commit: 'abc1234', dirty: false };
const start: BenchRecord = { kind: 'start', bench: '', options: { startedAt: '2026-12-01T20:00:00.000Z', quick: false, machine } };

describe('the bench report', () => {
  it('sets throughput as figure / raw and latency as raw / figure, so 1 is "as fast as raw" either way', () => {
    expect(ratioOf({ value: 50, higherIsBetter: true }, 200)).toBe(0.25);
    expect(ratioOf({ value: 20, higherIsBetter: false }, 5)).toBe(0.25);
  });

  it('puts each figure beside its raw baseline from the same run, with its target, under the machine and commit', () => {
    const md = renderReport([
      start,
      { kind: 'options', bench: 'event-store', options: { BENCH_SECONDS: 3 } },
      {
        kind: 'figure',
        bench: 'event-store',
        figure: {
          bench: 'event-store',
          section: 'SQLite',
          figure: 'raw insert',
          value: 1000,
          unit: 'rows/s',
          higherIsBetter: true,
          isBaseline: true,
        },
      },
      {
        kind: 'figure',
        bench: 'event-store',
        figure: {
          bench: 'event-store',
          section: 'SQLite',
          figure: 'append',
          value: 400,
          unit: 'events/s',
          higherIsBetter: true,
          baselines: ['raw insert', 'raw gone'],
          target: { value: 250, text: '>= 25% of raw' },
        },
      },
      { kind: 'run', bench: 'event-store', options: { seconds: 30, exit: 0 } },
    ]);
    expect(md).toContain('commit abc1234');
    expect(md).toContain('2 CPUs (Test CPU), 8 GB, Node v20.0.0');
    expect(md).toContain('Sizes: BENCH_SECONDS=3.');
    expect(md).toMatch(/\| SQLite \| raw insert \| 1,000 rows\/s \| \*\(raw\)\* \|/);
    expect(md).toContain('0.40 of raw insert');
    expect(md).toContain('(raw gone: not measured)');
    expect(md).toMatch(/>= 25% of raw \(1\.60, met\)/);
    expect(md).toMatch(/## Targets[\s\S]*\| event-store \| append \| 400 events\/s \| >= 25% of raw \| 1\.60 \| met \|/);
    expect(md).not.toContain('Something broke');
  });

  it('judges a target that can be met two ways (target.or) as met when either figure meets its own', () => {
    const rate = (value: number): Figure => ({
      bench: 'http',
      figure: 'attempts: req/s',
      value,
      unit: 'req/s',
      higherIsBetter: true,
      target: { value: 5000, text: '>= 5,000 req/s (or >= 15% of raw)', or: 'attempts: share of raw' },
    });
    const share = (value: number): Figure => ({
      bench: 'http',
      figure: 'attempts: share of raw',
      value,
      unit: '%',
      higherIsBetter: true,
      target: { value: 15, text: '>= 15% of raw (or >= 5,000 req/s)', or: 'attempts: req/s' },
    });
    // The slower machine: 2,877 req/s, 17.8% of raw; the faster one: 7,893 req/s, 14.9%.
    expect(verdictOf(rate(2877), [rate(2877), share(17.8)])).toBe('met the other way (attempts: share of raw)');
    expect(verdictOf(share(14.9), [rate(7893), share(14.9)])).toBe('met the other way (attempts: req/s)');
    expect(verdictOf(share(17.8), [rate(2877), share(17.8)])).toBe('met');
    expect(verdictOf(rate(4000), [rate(4000), share(12)])).toBe('**missed**');
    // The other way counts only within the same bench, and only when that figure was measured.
    expect(verdictOf(rate(4000), [rate(4000), { ...share(20), bench: 'worker' }])).toBe('**missed**');
    expect(verdictOf(rate(4000), [rate(4000)])).toBe('**missed**');

    const md = renderReport([
      start,
      { kind: 'figure', bench: 'http', figure: rate(7893) },
      { kind: 'figure', bench: 'http', figure: share(14.9) },
      { kind: 'run', bench: 'http', options: { seconds: 60, exit: 0 } },
    ]);
    expect(md).toMatch(/\| http \| attempts: share of raw \| 14\.9 % \| [^|]+ \| 0\.99 \| met the other way \(attempts: req\/s\) \|/);
    expect(md).toMatch(/\(0\.99, met the other way \(attempts: req\/s\)\)/);
    expect(md).not.toContain('missed');
  });

  it("takes the load at the end from the run's own end record, with the share of CPU time the host stole meanwhile", () => {
    const md = renderReport([
      { ...start, options: { ...start.options, machine: { ...machine, cpuTicks: { total: 10_000, steal: 100 } } } },
      { kind: 'run', bench: 'token', options: { seconds: 10, exit: 0 } },
      { kind: 'end', bench: '', options: { machine: { ...machine, loadAverage: [1.5, 1, 0.5], cpuTicks: { total: 12_000, steal: 350 } } } },
    ]);
    expect(md).toContain('at the end 1.50 1.00 0.50');
    expect(md).toContain('(steal) during the run: 12.5%');
    expect(renderReport([start])).not.toContain('steal');
  });

  it('lists a bench that failed or broke, and marks a quick run as not the benchmark', () => {
    const md = renderReport([
      { ...start, options: { ...start.options, quick: true } },
      { kind: 'broken', bench: 'http', text: 'api exited unexpectedly' },
      { kind: 'run', bench: 'http', options: { seconds: 12, exit: 1 } },
    ]);
    expect(md).toContain('BENCH_QUICK=1');
    expect(md).toContain('- http: exited 1');
    expect(md).toContain('- http: api exited unexpectedly');
    expect(md).toContain('No figures were recorded.');
  });
});
