import { machineClockMs, wallToMachineClockMs } from '@send/event-store';

/**
 * The stages of an in-app alert's trip, for `npm run bench:http` (BENCH_HTTP_TRACE_ALERTS=1 sets
 * ALERT_TRACE=1 in the api and the worker). Off (one boolean test) unless ALERT_TRACE=1.
 */
export type AlertTraceStage =
  /** api: the command's append was acknowledged (the alert event is stored) */
  | 'appended'
  /** api: published the alert itself, right after its append (its Lua call answered) */
  | 'api-published'
  /** worker: the dispatcher got the alert event from the store */
  | 'worker-read'
  /** worker: the dispatcher's publish answered (published, or found the mark already set) */
  | 'worker-published'
  /** api: LiveAlerts relays the alert (the PUBLISH it got, or the one its own command just raised) */
  | 'received'
  /** api: the alert was handed to a manager's SSE stream */
  | 'sse-write';

const on = process.env.ALERT_TRACE === '1';

/**
 * One JSON line on stderr: `{"alertTrace":stage,"requestId":..,"at":<machine clock ms, µs precision>}`.
 * The machine's monotonic clock (machineClockMs), so the api's, the worker's and the probe's stamps
 * are comparable on one machine; `recordedAt` (an event's, from the store's wall clock) is put on
 * the same clock, and only when tracing. Carries ids only, never personal data.
 */
export function traceAlert(stage: AlertTraceStage, requestId: string, recordedAt?: Date): void {
  if (!on) return;
  const at = machineClockMs();
  const recorded = recordedAt && { recordedAt: wallToMachineClockMs(recordedAt.getTime()) };
  process.stderr.write(`${JSON.stringify({ alertTrace: stage, requestId, at, ...recorded })}\n`);
}
