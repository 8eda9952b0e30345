/**
 * Which timers should be pending for a state. The worker's process manager schedules exactly these
 * (BullMQ delayed jobs with `key` as the job id) and removes any other it holds for the request, so
 * timers follow the stream. Pure: derived from state only.
 *
 * Keys are deterministic: `deadline:<requestId>:<clock>` and
 * `escalation:<requestId>:<escalationId>:<level>:<ack|respond>` (shared DESIGN.md). Two suffixes keep
 * keys unique where one stream needs the "same" timer again, because a queue that still holds a
 * finished job with that id would refuse the new one:
 * - `:p<n>` on deadline keys after the n-th reopen (new period, new due dates);
 * - `:h<n>` on the update clock's key after the n-th holding reply (each promises a new update);
 * - `:r<n>` on escalation keys after the n-th re-notification at the last level.
 * A timer firing early or late is harmless: the decider re-checks and yields nothing when stale.
 */
import type { AdvanceEscalation, CheckDeadline } from './commands';
import type { Clock } from './events';
import { MAX_RENOTIFICATIONS } from './decider';
import { isSubmitted, type State } from './state';

export interface DeadlineTimer {
  kind: 'deadline';
  key: string;
  /** ISO-8601 instant the job should run at. */
  at: string;
  command: CheckDeadline;
}

export interface EscalationTimer {
  kind: 'escalation';
  key: string;
  at: string;
  /** ack: waiting for acknowledgement; respond: acknowledged, waiting for an officer response. */
  phase: 'ack' | 'respond';
  command: AdvanceEscalation;
}

export type Timer = DeadlineTimer | EscalationTimer;

export const deadlineTimerKey = (requestId: string, clock: Clock, period = 0): string =>
  `deadline:${requestId}:${clock}` + (period > 0 ? `:p${period}` : '');

export const escalationTimerKey = (
  requestId: string,
  escalationId: string,
  level: number,
  phase: 'ack' | 'respond',
  renotification = 0,
): string => `escalation:${requestId}:${escalationId}:${level}:${phase}` + (renotification > 0 ? `:r${renotification}` : '');

export const nextTimers = (state: State): Timer[] => {
  if (!isSubmitted(state) || state.status === 'resolved') return [];
  const { requestId } = state;
  const timers: Timer[] = [];
  const deadline = (clock: Clock, at: string): DeadlineTimer => ({
    kind: 'deadline',
    key: deadlineTimerKey(requestId, clock, state.period),
    at,
    command: { type: 'CheckDeadline', requestId, clock },
  });
  if (state.firstRespondedAt === null && !state.breached.first_response) {
    timers.push(deadline('first_response', state.due.firstResponseAt));
  }
  if (!state.breached.resolution) timers.push(deadline('resolution', state.due.resolutionAt));
  if (state.updateDueAt !== null && !state.breached.update) {
    // Each holding reply starts a new update clock: its own key (`:h<n>`), as a reopen gets `:p<n>`.
    const timer = deadline('update', state.updateDueAt);
    timers.push({ ...timer, key: `${timer.key}:h${state.holdingReplies}` });
  }

  const e = state.escalation;
  if (e !== null && e.status !== 'resolved' && e.renotifications < MAX_RENOTIFICATIONS) {
    const phase = e.status === 'open' ? 'ack' : 'respond';
    const at = phase === 'ack' ? e.ackDueAt : e.respondDueAt;
    if (at !== null) {
      timers.push({
        kind: 'escalation',
        key: escalationTimerKey(requestId, e.id, e.level, phase, e.renotifications),
        at,
        phase,
        command: { type: 'AdvanceEscalation', requestId, escalationId: e.id, expectedLevel: e.level },
      });
    }
  }
  return timers;
};
