/**
 * Drives a contact request through the real decider for specs: commands in, stored events out
 * (through handleCommand on a real event store, or in memory for pure specs). The requester and
 * the request carry personal data on purpose, so specs can check that none of it leaks.
 */
import { v4 as uuid } from 'uuid';
import {
  contactRequestDecider,
  decide,
  evolve,
  initialState,
  streamIdFor,
  type ContactRequestCommand,
  type ContactRequestEvent,
  type State,
} from '@send/domain';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, type EventStore } from '@send/event-store';

export const PERSONAL = {
  name: 'Zebedee Quigley-Featherstone',
  email: 'zebedee.quigley@example.org',
  phone: '07700 900123',
  caseRef: 'CASE-PRIVATE-9917',
  subject: 'Wrigglesworth school placement',
  message: 'My son Barnaby has autism and has been out of school since March.',
};

export const T0 = '2026-03-02T10:00:00.000Z';
export const after = (seconds: number, from = T0) => new Date(Date.parse(from) + seconds * 1000);

export const submit = (requestId: string, over: Record<string, unknown> = {}): ContactRequestCommand =>
  ({
    type: 'SubmitRequest',
    requestId,
    reference: 'SEND-2026-000123',
    caseRef: PERSONAL.caseRef,
    requester: { role: 'parent', name: PERSONAL.name, email: PERSONAL.email, phone: PERSONAL.phone },
    channel: 'portal',
    category: 'ehc_assessment',
    subject: PERSONAL.subject,
    message: PERSONAL.message,
    teamId: 'north',
    ...over,
  }) as ContactRequestCommand;

export const attempt = (requestId: string, n: number): ContactRequestCommand => ({
  type: 'RecordAttempt',
  requestId,
  attemptId: `a${n}`,
  channel: 'phone',
  source: 'portal',
});

export const advance = (requestId: string, escalationId: string, expectedLevel: number): ContactRequestCommand => ({
  type: 'AdvanceEscalation',
  requestId,
  escalationId,
  expectedLevel,
});

export const checkDeadline = (requestId: string, clock: 'first_response' | 'resolution'): ContactRequestCommand => ({
  type: 'CheckDeadline',
  requestId,
  clock,
});

/** In memory: the events each command decides, with ids, and the state after each. */
export function story(steps: Array<[ContactRequestCommand, Date]>): Array<{ id: string; event: ContactRequestEvent; state: State }> {
  let state: State = initialState;
  const out: Array<{ id: string; event: ContactRequestEvent; state: State }> = [];
  for (const [command, now] of steps) {
    for (const event of decide(command, state, { now, policy: fastPolicy })) {
      state = evolve(state, event);
      out.push({ id: uuid(), event, state });
    }
  }
  return out;
}

/** On a real store, through the command handler as the api and worker do. */
export async function run(store: EventStore, command: ContactRequestCommand, now: Date): Promise<void> {
  await new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor }).handle(command.requestId, command, {
    now,
    policy: fastPolicy,
  });
}
