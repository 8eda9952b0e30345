import { DateTime, Duration } from 'luxon';
import type { Policy } from './policy.schema';

const EXAMPLES = '(e.g. P6Y, P18M, P400D)';

/**
 * Why `iso` is not a usable retention period (retention.closedRequests), or undefined. Calendar
 * time: years and months are what retention schedules speak in, and are counted on the calendar
 * (six years after 3 March 2026 is 3 March 2032). It must be positive.
 */
export function retentionDurationProblem(iso: unknown): string | undefined {
  const notIso = `${JSON.stringify(iso) ?? String(iso)} is not an ISO 8601 duration ${EXAMPLES}`;
  if (typeof iso !== 'string' || !/^P(?=\d|T\d)/.test(iso) || iso.endsWith('T')) return notIso;
  const d = Duration.fromISO(iso);
  if (!d.isValid) return notIso;
  if (d.as('milliseconds') <= 0) return `${JSON.stringify(iso)} must be longer than nothing ${EXAMPLES}`;
  return undefined;
}

/**
 * When a request resolved at `resolvedAt` is past retention: its resolution plus
 * `retention.closedRequests` on the calendar of the policy's time zone (a year from 29 February is
 * 28 February, as luxon counts it).
 */
export function retentionEndsAt(policy: Policy, resolvedAt: string): Date {
  const local = DateTime.fromISO(resolvedAt, { zone: policy.calendar.timezone });
  if (!local.isValid) throw new RangeError(`resolvedAt: "${resolvedAt}" is not an ISO-8601 instant`);
  return local.plus(Duration.fromISO(policy.retention?.closedRequests ?? 'P6Y')).toJSDate();
}

/** Is a request resolved at `resolvedAt` past retention at `now`? */
export const isPastRetention = (policy: Policy, resolvedAt: string, now: Date): boolean =>
  retentionEndsAt(policy, resolvedAt).getTime() <= now.getTime();
