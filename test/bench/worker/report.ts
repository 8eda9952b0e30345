/** Figures, percentiles and the closing table of the worker benchmark. */

export interface Row {
  figure: string;
  value: number;
  unit: string;
  /** Absent for baselines and context figures. */
  target?: { value: number; higherIsBetter: boolean };
  note?: string;
  /** The raw baselines (their `figure`) this figure is set against in bench/results/latest.md. */
  baselines?: string[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summary(values: number[]): { n: number; p50: number; p95: number; p99: number; p999: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1] ?? NaN };
}

const fmt = (v: number) =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-GB') : v.toFixed(v >= 10 ? 1 : 2);

/** ratio > 1 means the target is met. */
export function ratioOf(row: Row): number | null {
  if (!row.target) return null;
  return row.target.higherIsBetter ? row.value / row.target.value : row.target.value / row.value;
}

export function table(rows: Row[]): string {
  const header = ['figure', 'result', 'target', 'ratio', ''];
  const body = rows.map((r) => {
    const ratio = ratioOf(r);
    return [
      r.figure,
      `${fmt(r.value)} ${r.unit}`,
      r.target ? `${r.target.higherIsBetter ? '>=' : '<='} ${fmt(r.target.value)} ${r.unit}` : '(baseline)',
      ratio === null ? '' : ratio.toFixed(2),
      ratio === null ? (r.note ?? '') : `${ratio >= 1 ? 'MET' : 'MISSED'}${r.note ? ` ${r.note}` : ''}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export const progress = (message: string) => process.stderr.write(`[bench:worker ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
