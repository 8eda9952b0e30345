/**
 * The one bench report: gathers the JSON lines the benches wrote (test/bench/results.ts) into
 * markdown, every figure beside the raw baseline measured in the same run and its target.
 *
 *   npm run bench                     (runs every bench, then this; test/bench/run-all.ts)
 *   npm run bench:report -- [results.jsonl] [out.md]
 *       (again from a run's raw lines; default the newest bench-results/run-*.jsonl and
 *        bench/results/latest.md)
 *
 * Ratio to raw: figure / raw for throughput, raw / figure for latency, memory and time, so 1.00 is
 * "as fast as the raw baseline" and below 1 is the price of what the system does on top of it.
 * Ratio to target: above 1 is met.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { machine, type BenchRecord, type Figure } from './results';

const root = resolve(__dirname, '../..');
const ORDER = ['token', 'event-store', 'worker', 'dashboard', 'http'];
const TITLES: Record<string, string> = {
  token: 'Token verify (`npm run bench:token`)',
  'event-store': 'Event store (`npm run bench:event-store`)',
  worker: 'Worker: projections, alerts, timers (`npm run bench:worker`)',
  dashboard: 'SLA dashboard computation (`npm run bench:dashboard`)',
  http: 'The whole system over HTTP (`npm run bench:http`)',
};

const fmt = (v: number) =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-GB') : v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The share of the CPUs' time the host gave to other machines during the run (a virtual machine's
 * steal time): the same code runs slower by about that much, whatever the load average says.
 */
function stolen(
  from: { total: number; steal: number } | null | undefined,
  to: { total: number; steal: number } | null | undefined,
): string {
  if (!from || !to || to.total <= from.total) return '';
  const share = (to.steal - from.steal) / (to.total - from.total);
  return ` CPU time taken by the host for other machines (steal) during the run: ${(share * 100).toFixed(1)}%.`;
}

/** > 1 is better than the reference, whichever way the unit runs. */
export function ratioOf(figure: Pick<Figure, 'value' | 'higherIsBetter'>, reference: number): number {
  return figure.higherIsBetter === false ? reference / figure.value : figure.value / reference;
}

/**
 * A targeted figure's verdict: met by its own ratio; met the other way, when the figure its target
 * names as the alternative (`target.or`) met its own; else missed. Empty when there is no ratio.
 */
export function verdictOf(figure: Figure, figures: readonly Figure[]): string {
  const ratio = ratioOf(figure, figure.target!.value);
  if (!Number.isFinite(ratio)) return '';
  if (ratio >= 1) return 'met';
  const other = figure.target!.or && figures.find((f) => f.bench === figure.bench && f.figure === figure.target!.or && f.target);
  if (other && ratioOf(other, other.target!.value) >= 1) return `met the other way (${other.figure})`;
  return '**missed**';
}

export function renderReport(records: BenchRecord[], now = new Date()): string {
  const start = records.find((r) => r.kind === 'start')?.options as
    { startedAt: string; quick: boolean; machine: ReturnType<typeof machine> } | undefined;
  const host = start?.machine ?? machine();
  // The machine at the end as the run recorded it (a report rendered again later has no other).
  const end = (records.find((r) => r.kind === 'end')?.options as { machine: ReturnType<typeof machine> } | undefined)?.machine ?? machine();
  const runs = new Map(
    records.filter((r) => r.kind === 'run').map((r) => [r.bench, r.options as { seconds: number; exit: number | string }]),
  );
  const benches = [...new Set(records.filter((r) => r.bench).map((r) => r.bench))].sort(
    (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99),
  );
  const total = [...runs.values()].reduce((s, r) => s + r.seconds, 0);
  const figures = records.filter((r) => r.kind === 'figure').map((r) => r.figure!);
  const out: string[] = [];
  const started = start ? new Date(start.startedAt) : now;

  out.push('# Benchmarks');
  out.push('');
  out.push(
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${host.commit ?? 'unknown'}${host.dirty ? ' (with uncommitted changes)' : ''}. ` +
      `Machine: ${host.cpus} CPUs (${host.model}), ${host.memoryGb} GB, Node ${host.node}. ` +
      `Load average at the start ${host.loadAverage.map((l) => l.toFixed(2)).join(' ')}, at the end ${end.loadAverage
        .map((l) => l.toFixed(2))
        .join(' ')} (near or above ${host.cpus} means other work shared the CPUs, and the figures are low).` +
      stolen(host.cpuTicks, end.cpuTicks) +
      (runs.size ? ` ${runs.size} benches in ${fmt(total / 60)} minutes.` : ''),
  );
  out.push('');
  if (start?.quick) {
    out.push(
      '**BENCH_QUICK=1: the small sizes of a check that every bench runs. These figures are not the benchmark; run `npm run bench` on a quiet machine for them.**',
    );
    out.push('');
  }
  out.push(
    'Every figure is set beside the raw baseline measured in the same run on the same machine (a bare better-sqlite3 or `pg` insert, ' +
      'a raw Redis MULTI, a bare Fastify server, a raw HMAC...). **Ratio to raw**: figure / raw for throughput, raw / figure for latency, ' +
      'memory and time, so 1.00 is as fast as the raw baseline and below 1 is the price of what the system does on top. ' +
      '**Ratio to target**: above 1 is met. Raw baselines are marked *(raw)*.',
  );
  out.push('');

  const broken = records.filter((r) => r.kind === 'broken');
  const failedRuns = [...runs.entries()].filter(([, r]) => r.exit !== 0);
  if (broken.length || failedRuns.length) {
    out.push('**Something broke:**');
    out.push('');
    for (const [bench, r] of failedRuns) out.push(`- ${bench}: exited ${r.exit}`);
    for (const b of broken) out.push(`- ${b.bench}: ${b.text}`);
    out.push('');
  }

  const targeted = figures.filter((f) => f.target);
  if (targeted.length) {
    out.push('## Targets');
    out.push('');
    out.push('| bench | figure | result | target | ratio | |');
    out.push('| --- | --- | ---: | --- | ---: | --- |');
    for (const f of targeted) {
      const ratio = ratioOf(f, f.target!.value);
      out.push(
        `| ${f.bench} | ${cell(f.figure)} | ${fmt(f.value)} ${f.unit} | ${cell(f.target!.text)} | ${fmt(ratio)} | ${cell(verdictOf(f, figures))} |`,
      );
    }
    out.push('');
  }

  for (const bench of benches) {
    const run = runs.get(bench);
    out.push(`## ${TITLES[bench] ?? bench}`);
    out.push('');
    const options = records.filter((r) => r.kind === 'options' && r.bench === bench).map((r) => r.options!);
    const sizes = Object.entries(Object.assign({}, ...options) as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    out.push(
      [run ? `${run.exit === 0 ? 'Ran' : `**Exited ${run.exit}**`} in ${fmt(run.seconds)} s.` : '', sizes ? `Sizes: ${sizes}.` : '']
        .filter(Boolean)
        .join(' '),
    );
    out.push('');
    const own = figures.filter((f) => f.bench === bench);
    if (own.length === 0) {
      out.push('No figures were recorded.');
      out.push('');
      continue;
    }
    const sections = [...new Set(own.map((f) => f.section ?? ''))];
    const showSection = sections.length > 1 || sections[0] !== '';
    out.push(`| ${showSection ? 'part | ' : ''}figure | result | ratio to raw | target (ratio) | note |`);
    out.push(`| ${showSection ? '--- | ' : ''}--- | ---: | --- | --- | --- |`);
    for (const f of own) {
      // A baseline is looked for in the figure's own section first, then anywhere in the bench.
      const find = (name: string) =>
        own.find((b) => b.figure === name && (b.section ?? '') === (f.section ?? '')) ?? own.find((b) => b.figure === name);
      const toRaw = f.isBaseline
        ? '*(raw)*'
        : (f.baselines ?? [])
            .map((name) => {
              const b = find(name);
              return b ? `${fmt(ratioOf(f, b.value))} of ${cell(name)}` : `(${cell(name)}: not measured)`;
            })
            .join('<br>');
      const target = f.target
        ? `${cell(f.target.text)} (${[fmt(ratioOf(f, f.target.value)), cell(verdictOf(f, figures))].filter(Boolean).join(', ')})`
        : '';
      out.push(
        `| ${showSection ? `${cell(f.section ?? '')} | ` : ''}${cell(f.figure)} | ${fmt(f.value)} ${f.unit} | ${toRaw} | ${target} | ${cell(f.note ?? '')} |`,
      );
    }
    out.push('');
    const notes = records.filter((r) => r.kind === 'note' && r.bench === bench);
    for (const n of notes) out.push(`- ${n.text}`);
    if (notes.length) out.push('');
  }
  return out.join('\n');
}

export function readRecords(file: string): BenchRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as BenchRecord);
}

export function writeReport(resultsFile: string, out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${renderReport(readRecords(resultsFile))}\n`);
}

if (require.main === module) {
  const [given, to] = process.argv.slice(2);
  const dir = join(root, 'bench-results');
  const newest = () => {
    const runs = readdirSync(dir)
      .filter((f) => f.startsWith('run-') && f.endsWith('.jsonl'))
      .sort();
    if (!runs.length) throw new Error(`no bench-results/run-*.jsonl: run \`npm run bench\` first`);
    return join(dir, runs[runs.length - 1]!);
  };
  const file = given ? resolve(given) : newest();
  const out = resolve(root, to ?? 'bench/results/latest.md');
  writeReport(file, out);
  console.log(`${out} written from ${file}`);
}
