/**
 * Seeding for the HTTP benchmark, straight into the SQLite file before the api starts.
 *
 * Each kind of request story is decided ONCE by the real decider (default policy) for a placeholder
 * request, serialised, and then stamped per request by string replacement of the placeholder id and
 * reference (attempt, response and escalation ids derive from the id, so they stay unique). The
 * stamped streams go through SqliteEventStore.append, many streams per event-loop turn so its group
 * commit writes them in large transactions: the same rows the api would have written.
 *
 * Requests belong to the demo parent (parent@example.org) and the north team, unassigned, so the
 * parent may act on them, officer@example.org finds them on GET /api/queue/team and level-1 alerts
 * go to manager@example.org (north's team manager).
 */
import { v4 as uuid } from 'uuid';
import { decide, evolve, initialState, streamIdFor, userIdFor, type ContactRequestCommand, type State } from '@send/domain';
import { defaultPolicy } from '@send/sla';
import type { EventData, SqliteEventStore } from '@send/event-store';

const PLACEHOLDER = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
const PLACEHOLDER_REF = 'SEND-2026-999999';
/** The case number a request was sent about: '' (none yet), or one of `cases` (Seeder), stamped per request. */
const PLACEHOLDER_CASE = 'EHC-PLACEHOLDER';

export const PARENT_EMAIL = 'parent@example.org';
export const OFFICER_EMAIL = 'officer@example.org';
export const TEAM_MANAGER_EMAIL = 'manager@example.org';
export const SERVICE_MANAGER_EMAIL = 'service.manager@example.org';

const parentId = userIdFor(PARENT_EMAIL);
const officerId = userIdFor(OFFICER_EMAIL);
const parentActor = { id: parentId, role: 'parent' };
const officerActor = { id: officerId, role: 'officer' };

/**
 * - open: submitted, nothing else (1 event): the queue's 100k, the pools the load phases work on.
 * - shallow: the smallest stream with `shallowEvents` events (submitted + attempts).
 * - deep: submitted, then attempt / officer response alternating up to `deepEvents` events.
 * - two-attempts: submitted + 2 unanswered attempts: the next attempt crosses the threshold (3).
 * - resolved: submitted, assigned, attempt, responded, resolved (5 events), `weeksAgo` in the past:
 *   history for the dashboard, never on a queue.
 */
export type Story =
  | { kind: 'open' }
  | { kind: 'two-attempts' }
  | { kind: 'shallow'; events: number }
  | { kind: 'deep'; events: number }
  | { kind: 'resolved'; weeksAgo: number };

function commandsFor(story: Story): Array<{ command: ContactRequestCommand; actor: { id: string; role: string } }> {
  const submit: ContactRequestCommand = {
    type: 'SubmitRequest',
    requestId: PLACEHOLDER,
    reference: PLACEHOLDER_REF,
    caseRef: PLACEHOLDER_CASE,
    requester: { role: 'parent', name: 'Pat Parent', email: PARENT_EMAIL, userId: parentId },
    channel: 'portal',
    category: 'ehc_assessment',
    subject: 'EHC needs assessment decision',
    message: 'We asked for an EHC needs assessment six weeks ago and have heard nothing. Please call me back.',
    teamId: 'north',
  };
  let n = 0;
  const attempt = () => ({
    command: {
      type: 'RecordAttempt',
      requestId: PLACEHOLDER,
      attemptId: `${PLACEHOLDER}-a${++n}`,
      channel: 'phone',
      source: 'portal',
    } as ContactRequestCommand,
    actor: parentActor,
  });
  const respond = () => ({
    command: {
      type: 'RecordResponse',
      requestId: PLACEHOLDER,
      responseId: `${PLACEHOLDER}-r${++n}`,
      officerId,
      channel: 'phone',
      summary: 'Called back; explained the assessment timetable and the next panel date.',
    } as ContactRequestCommand,
    actor: officerActor,
  });
  const first = { command: submit, actor: parentActor };
  switch (story.kind) {
    case 'open':
      return [first];
    case 'two-attempts':
      return [first, attempt(), attempt()];
    case 'shallow':
      return [first, ...Array.from({ length: Math.max(0, story.events - 1) }, attempt)];
    case 'deep':
      // One event per command (no escalation: a response always follows an attempt).
      return [first, ...Array.from({ length: Math.max(0, story.events - 1) }, (_, i) => (i % 2 === 0 ? attempt() : respond()))];
    case 'resolved':
      return [
        first,
        { command: { type: 'AssignRequest', requestId: PLACEHOLDER, officerId, teamId: 'north', by: officerId }, actor: officerActor },
        attempt(),
        respond(),
        {
          command: {
            type: 'ResolveRequest',
            requestId: PLACEHOLDER,
            by: officerId,
            outcome: 'Answered by phone.',
            withoutReply: { reason: 'withdrawn' },
          },
          actor: officerActor,
        },
      ];
  }
}

interface Template {
  json: string;
  count: number;
}

/** Decides a story for the placeholder through the real decider, one command per second ending a minute ago. */
function template(story: Story, now: Date): Template {
  const commands = commandsFor(story);
  const weeksAgo = story.kind === 'resolved' ? story.weeksAgo : 0;
  const end = now.getTime() - weeksAgo * 7 * 86_400_000 - 60_000;
  let state: State = initialState;
  const out: { type: string; data: unknown; metadata: unknown }[] = [];
  commands.forEach(({ command, actor }, i) => {
    const at = new Date(end - (commands.length - i) * 1000);
    for (const event of decide(command as never, state, { now: at, policy: defaultPolicy })) {
      state = evolve(state, event);
      out.push({
        type: event.type,
        data: event.data,
        metadata: { correlationId: `${PLACEHOLDER}-c${i}`, causationId: `${PLACEHOLDER}-c${i}`, actor },
      });
    }
  });
  return { json: JSON.stringify(out), count: out.length };
}

export class Seeder {
  private readonly templates = new Map<string, Template>();
  private number = 0;
  events = 0;
  requests = 0;

  /**
   * `cases`: 0 (the default), requests name no case (caseRef ''; each is on north's queue by its
   * teamId); N, each names one of N case numbers in turn (EHC-000000...), as a council's requests
   * do: queue rows and the reads the access log records then spread over N cases.
   */
  constructor(
    private readonly store: SqliteEventStore,
    private readonly now = new Date(),
    private readonly cases = 0,
  ) {}

  /** How many events one request of this story has. */
  eventsPer(story: Story): number {
    return this.template(story).count;
  }

  private template(story: Story): Template {
    const key = JSON.stringify(story);
    let t = this.templates.get(key);
    if (!t) this.templates.set(key, (t = template(story, this.now)));
    return t;
  }

  /** Appends `count` requests of `story`; returns their ids. */
  async seed(count: number, story: Story | ((i: number) => Story), onProgress?: (done: number) => void): Promise<string[]> {
    const perTurn = 1000;
    const ids: string[] = [];
    for (let start = 0; start < count; start += perTurn) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + perTurn); i++) {
        const t = this.template(typeof story === 'function' ? story(i) : story);
        const id = uuid();
        const reference = `SEND-2026-${String(++this.number).padStart(6, '0')}`;
        const caseRef = this.cases > 0 ? `EHC-${String(this.number % this.cases).padStart(6, '0')}` : '';
        const events = (
          JSON.parse(
            t.json.replaceAll(PLACEHOLDER, id).replaceAll(PLACEHOLDER_REF, reference).replaceAll(PLACEHOLDER_CASE, caseRef),
          ) as Omit<EventData, 'id'>[]
        ).map((e) => ({ id: uuid(), ...e }));
        this.events += events.length;
        ids.push(id);
        batch.push(this.store.append(streamIdFor(id), events, { expectedRevision: 'no_stream' }));
      }
      await Promise.all(batch);
      this.requests += batch.length;
      onProgress?.(ids.length);
    }
    return ids;
  }
}
