/**
 * Plays one demo story into the event store as the live system would have recorded it: each
 * scripted command through the real decider (handleCommand) with ctx.now = its historical instant,
 * and in between the worker's timers exactly as `nextTimers(state)` lists them, fired at their `at`
 * when that comes before the next scripted action and before the real now. Breaches, escalations
 * and climbs therefore carry the instants the worker would have given them.
 */
import {
  contactRequestDecider,
  isSubmitted,
  nextTimers,
  streamIdFor,
  type ContactRequestCommand,
  type ContactRequestState,
  type State,
} from '@send/domain';
import { DeciderCommandHandler, eventIdsFor, type EventStore } from '@send/event-store';
import type { Policy } from '@send/sla';
import { TIMER_ACTOR, type Actor } from './demo-people';
import type { DemoRequest } from './demo-stories';

/** Enough for any story: a whole chain, its re-notifications and both deadlines, twice over. */
const MAX_TIMER_FIRINGS = 50;

export interface HistoryPlayerDeps {
  store: EventStore;
  policy: Policy;
}

export class HistoryPlayer {
  constructor(private readonly deps: HistoryPlayerDeps) {}

  /** Appends the story up to `now`; returns how many events it recorded. */
  async play(request: DemoRequest, reference: string, now: Date): Promise<number> {
    const streamId = streamIdFor(request.requestId);
    const requests = new DeciderCommandHandler({ store: this.deps.store, decider: contactRequestDecider, streamIdFor });
    let events = 0;
    let state: State = contactRequestDecider.initialState;

    // Scripted commands get ids from the request and the step; timer commands from the timer key, as the worker does.
    const run = async (command: ContactRequestCommand, at: Date, actor: Actor, idKey: string, correlationId: string) => {
      const result = await requests.handle(
        request.requestId,
        command,
        { now: at, policy: this.deps.policy },
        { eventIds: eventIdsFor(idKey, streamId), metadata: { correlationId, causationId: correlationId, actor: { ...actor } } },
      );
      events += result.events.length;
      state = result.state;
      return result.events.length;
    };

    const fireTimersBefore = async (limit: Date) => {
      for (let i = 0; i < MAX_TIMER_FIRINGS; i++) {
        const due = nextTimers(state)
          .filter((t) => Date.parse(t.at) < limit.getTime())
          .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.key.localeCompare(b.key));
        const timer = due[0];
        if (!timer) return;
        // A timer that changes nothing would stay listed for ever; the domain never does that, but never loop on it.
        if ((await run(timer.command, new Date(timer.at), TIMER_ACTOR, timer.key, timer.key)) === 0) return;
      }
    };

    const correlationId = `demo:${request.index}`;
    await run({ ...request.submit, reference }, request.submittedAt, request.submitter, `${correlationId}:submit`, correlationId);
    for (const [n, step] of request.steps.entries()) {
      if (step.at.getTime() >= now.getTime()) break; // still to come: the story is under way
      await fireTimersBefore(step.at);
      const command = isSubmitted(state) ? step.command(state as ContactRequestState) : null;
      if (command) await run(command, step.at, step.actor, `${correlationId}:step:${n}`, correlationId);
    }
    await fireTimersBefore(now);
    return events;
  }
}
