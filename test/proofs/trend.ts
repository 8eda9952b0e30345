/**
 * Is a series flat? The soak's rule (test/proofs/soak.ts), kept apart so it can be tested alone.
 *
 * A least-squares line is fitted to the samples (x in minutes). The change the line makes over the
 * samples' span (slope x span) is set against the noise around it (the residual standard deviation,
 * n - 2 degrees of freedom): the series is flat when |slope x span| <= 2 x that noise. A steady
 * climb has little noise around its own line, so it fails; a level series with jitter passes. With
 * n evenly spaced samples of pure noise the fitted change has a standard error of about
 * noise x sqrt(12 / n), so for 25 samples (a 30-minute soak after its warm-up) the bound sits near
 * three standard errors: a false "not flat" about one run in 250.
 *
 * Beyond the bound the series is `rising` or `falling`. A leak or a creep rises; memory that falls
 * (a collection that returned what the warm-up took) is not one, so the soak holds unless one rises.
 */

export interface Point {
  /** Minutes since the load started. */
  x: number;
  y: number;
}

export interface Fit {
  n: number;
  slope: number;
  intercept: number;
  /** Residual standard deviation around the line (0 with fewer than 3 points). */
  noise: number;
  mean: number;
}

export function linearFit(points: readonly Point[]): Fit {
  const n = points.length;
  if (n === 0) return { n, slope: NaN, intercept: NaN, noise: NaN, mean: NaN };
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const sse = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0);
  const noise = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  return { n, slope, intercept, noise, mean: my };
}

export interface Flatness extends Fit {
  /** What the fitted line changes by over the samples' span (same unit as y). */
  change: number;
  /** 2 x noise: the largest change still called flat. */
  bound: number;
  span: number;
  /** null: too few samples to say. */
  flat: boolean | null;
  trend: 'flat' | 'rising' | 'falling' | null;
}

/** The rule above; fewer than `minSamples` (default 4) points cannot say. */
export function flatness(points: readonly Point[], minSamples = 4): Flatness {
  const fit = linearFit(points);
  const xs = points.map((p) => p.x);
  const span = points.length ? Math.max(...xs) - Math.min(...xs) : 0;
  const change = fit.slope * span;
  const bound = 2 * fit.noise;
  const flat = points.length < Math.max(3, minSamples) ? null : Math.abs(change) <= bound;
  const trend = flat === null ? null : flat ? 'flat' : change > 0 ? 'rising' : 'falling';
  return { ...fit, change, bound, span, flat, trend };
}

/** The p-th percentile (nearest rank) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
