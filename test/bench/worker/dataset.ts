/**
 * Realistic event streams for the worker benchmark, made fast: each kind of request story is decided
 * ONCE by the real decider (defaultPolicy) for a placeholder request (once per start time, for a
 * load spread over time), serialised, and then stamped per request by string replacement of the
 * placeholder id (attempt and escalation ids derive from it, so they stay unique) and, in a spread
 * load, of the family's account, email and case. Appended through SqliteEventStore.append, many streams per event-loop
 * turn so its group commit writes them in large transactions: the same rows the api would write.
 */
import { v4 as uuid } from 'uuid';
import { decide, evolve, initialState, streamIdFor, userStreamId, type ContactRequestCommand, type State } from '@send/domain';
import { defaultPolicy } from '@send/sla';
import { SqliteEventStore, type EventData } from '@send/event-store';

const PLACEHOLDER = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
const PLACEHOLDER_REF = 'SEND-2026-999999';
/** The requesting family's account, email and case: one for every request unless the load gives each family its own. */
const PLACEHOLDER_PARENT = 'bench-parent';
const PLACEHOLDER_EMAIL = 'sam.parent@example.org';
const PLACEHOLDER_CASE = 'CASE-2026-0042';

export const STAFF = [
  { id: 'bench-officer-north', name: 'Olive Officer', role: 'officer', teamId: 'north' },
  { id: 'bench-officer-south', name: 'Sol Officer', role: 'officer', teamId: 'south' },
  { id: 'bench-manager-north', name: 'Nora Manager', role: 'team_manager', teamId: 'north' },
  { id: 'bench-manager-south', name: 'Stan Manager', role: 'team_manager', teamId: 'south' },
  { id: 'bench-service-manager', name: 'Sara Service', role: 'service_manager', teamId: null },
  { id: 'bench-head', name: 'Hal Head', role: 'head_of_service', teamId: null },
] as const;

/**
 * The stories, five events each (the "~200k requests x 5 events"):
 * - answered: submitted, assigned, attempt, officer responded, resolved
 * - escalated: submitted, attempt, attempt, attempt + EscalationRaised (threshold 3)
 * - working: submitted, assigned, attempt, failed call-back, officer responded (open, first response done)
 * Others for the live phases: open-responded (3 events, one pending timer), two-attempts (3 events).
 */
export type StoryKind = 'answered' | 'escalated' | 'working' | 'open-responded' | 'two-attempts';

const submit = (teamId: string): ContactRequestCommand => ({
  type: 'SubmitRequest',
  requestId: PLACEHOLDER,
  reference: PLACEHOLDER_REF,
  caseRef: PLACEHOLDER_CASE,
  requester: { role: 'parent', name: 'Sam Parent', email: PLACEHOLDER_EMAIL, phone: '07700900123', userId: PLACEHOLDER_PARENT },
  channel: 'portal',
  category: 'ehc_assessment',
  subject: 'EHC needs assessment decision',
  message: 'We asked for an EHC needs assessment six weeks ago and have heard nothing. Please call me back.',
  teamId,
});
const attempt = (n: number): ContactRequestCommand => ({
  type: 'RecordAttempt',
  requestId: PLACEHOLDER,
  attemptId: `${PLACEHOLDER}-a${n}`,
  channel: 'phone',
  source: 'portal',
  escalationId: `esc-${PLACEHOLDER}-a${n}`,
});
const assign = (teamId: string): ContactRequestCommand => ({
  type: 'AssignRequest',
  requestId: PLACEHOLDER,
  officerId: `bench-officer-${teamId}`,
  teamId,
  by: `bench-manager-${teamId}`,
});
const respond = (teamId: string): ContactRequestCommand => ({
  type: 'RecordResponse',
  requestId: PLACEHOLDER,
  responseId: `${PLACEHOLDER}-r1`,
  officerId: `bench-officer-${teamId}`,
  channel: 'phone',
  summary: 'Called back; explained the assessment timetable and the next panel date.',
});

const STORIES: Record<StoryKind, (teamId: string) => ContactRequestCommand[]> = {
  answered: (t) => [
    submit(t),
    assign(t),
    attempt(1),
    respond(t),
    {
      type: 'ResolveRequest',
      requestId: PLACEHOLDER,
      by: `bench-officer-${t}`,
      outcome: 'answered',
      withoutReply: { reason: 'withdrawn' },
    },
  ],
  escalated: (t) => [submit(t), attempt(1), attempt(2), attempt(3)],
  working: (t) => [
    submit(t),
    assign(t),
    attempt(1),
    { type: 'RecordFailedCallBack', requestId: PLACEHOLDER, officerId: `bench-officer-${t}` },
    respond(t),
  ],
  /** Open with the first response given: exactly one pending timer (the resolution deadline). */
  'open-responded': (t) => [submit(t), assign(t), respond(t)],
  /** Two unanswered attempts: the next one reaches the threshold (export attemptCommand for it). */
  'two-attempts': (t) => [submit(t), attempt(1), attempt(2)],
};

interface Template {
  /** JSON of [{type, data, metadata}] with the placeholders in it. */
  json: string;
  count: number;
}

/** Decides a story for the placeholder request at `now` (seconds apart), through the real decider. */
function template(kind: StoryKind, teamId: string, now: Date): Template {
  let state: State = initialState;
  const out: { type: string; data: unknown; metadata: unknown }[] = [];
  STORIES[kind](teamId).forEach((command, i) => {
    const at = new Date(now.getTime() + i * 1000);
    for (const event of decide(command as never, state, { now: at, policy: defaultPolicy })) {
      state = evolve(state, event);
      out.push({
        type: event.type,
        data: event.data,
        metadata: {
          correlationId: `${PLACEHOLDER}-c${i}`,
          causationId: `${PLACEHOLDER}-c${i}`,
          actor: { id: PLACEHOLDER_PARENT, role: 'parent' },
        },
      });
    }
  });
  return { json: JSON.stringify(out), count: out.length };
}

/** Who submitted a request and when, where a load does not give every request the same. */
export interface StoryStamp {
  /** The family (requester account, email and case); unset: the one shared bench family. */
  family?: number;
  /** When the story starts; unset: the stamper's `now`. */
  at?: Date;
}

/** Builds the events of one request from a template. */
export class StoryStamper {
  private readonly templates = new Map<string, Template>();
  private templatesAt = NaN;
  constructor(private readonly now: Date) {}

  stamp(kind: StoryKind, teamId: string, requestId: string, n: number, { family, at = this.now }: StoryStamp = {}): EventData[] {
    // Templates are decided for one start time at a time: a load that moves on through time keeps
    // only the current time's few (one per story and team).
    if (at.getTime() !== this.templatesAt) {
      this.templates.clear();
      this.templatesAt = at.getTime();
    }
    const key = `${kind}/${teamId}`;
    let t = this.templates.get(key);
    if (!t) this.templates.set(key, (t = template(kind, teamId, at)));
    const reference = `SEND-2026-${String(n).padStart(6, '0')}`;
    let json = t.json.replaceAll(PLACEHOLDER, requestId).replaceAll(PLACEHOLDER_REF, reference);
    if (family !== undefined) {
      json = json
        .replaceAll(PLACEHOLDER_EMAIL, `parent-${family}@example.org`)
        .replaceAll(PLACEHOLDER_PARENT, `bench-parent-${family}`)
        .replaceAll(PLACEHOLDER_CASE, `CASE-${String(family).padStart(7, '0')}`);
    }
    const events = JSON.parse(json) as Omit<EventData, 'id'>[];
    return events.map((e) => ({ id: uuid(), ...e }));
  }

  eventsPer(kind: StoryKind): number {
    return this.templates.get(`${kind}/north`)?.count ?? template(kind, 'north', this.now).count;
  }
}

export async function registerStaff(store: SqliteEventStore): Promise<void> {
  await Promise.all(
    STAFF.map((u) =>
      store.append(
        userStreamId(u.id),
        [
          {
            id: uuid(),
            type: 'UserRegistered',
            data: {
              schemaVersion: 1,
              userId: u.id,
              email: `${u.id}@example.org`,
              name: u.name,
              role: u.role,
              teamId: u.teamId,
              passwordHash: 'x',
            },
          },
        ],
        { expectedRevision: 'any' },
      ),
    ),
  );
}

export interface LoadOptions {
  requests: number;
  /** Which story the i-th request follows. */
  kindOf: (i: number) => StoryKind;
  now: Date;
  /** Streams appended per event-loop turn (one group commit). */
  streamsPerTurn?: number;
  onProgress?: (requests: number, events: number) => void;
  /** Requests numbered from here (references stay unique across loads). */
  firstNumber?: number;
  /**
   * A service's history rather than one family's: each family (a requester account and its case, on
   * one team) submits two requests, and submissions are spread back from `now`, this many ms apart
   * (in steps of SAME_START requests, which start at the same time: one decided template each).
   * Unset: every request is the same family's, submitted at `now`.
   */
  spreadEveryMs?: number;
}

/**
 * The catch-up's history: a request every five minutes, so 200,000 requests (the 1M-event catch-up)
 * go two years back, each family with its own account and case (LoadOptions.spreadEveryMs).
 */
export const CATCH_UP_SPREAD_MS = 5 * 60_000;

/**
 * The catch-up's history in a new store file at `path`: the staff, then `requests` requests of the
 * answered / escalated / working stories in turn, spread back from now (CATCH_UP_SPREAD_MS), loaded
 * with synchronous=normal (what is measured is the projection, not the load). The file is then
 * opened afresh, as a worker starting on a store with history finds it: its subscriptions' shared
 * tail starts at the head, so a catch-up reads its own pages (ADR 0024, 0025). The caller closes it.
 */
export async function loadCatchUpHistory(
  path: string,
  requests: number,
  onProgress?: LoadOptions['onProgress'],
): Promise<{ store: SqliteEventStore; events: number }> {
  const loader = new SqliteEventStore({ path, synchronous: 'normal' });
  const kinds: StoryKind[] = ['answered', 'escalated', 'working'];
  await registerStaff(loader);
  const { events } = await loadRequests(loader, {
    requests,
    kindOf: (i) => kinds[i % kinds.length],
    now: new Date(),
    spreadEveryMs: CATCH_UP_SPREAD_MS,
    onProgress,
  });
  await loader.close();
  return { store: new SqliteEventStore({ path }), events };
}

/** Requests of a spread load that start at the same moment (each story and team's template is decided once per start). */
const SAME_START = 24;

/** Appends `requests` request streams; returns their ids and the number of events. */
export async function loadRequests(store: SqliteEventStore, options: LoadOptions): Promise<{ ids: string[]; events: number }> {
  const stamper = new StoryStamper(options.now);
  const perTurn = options.streamsPerTurn ?? 2000;
  const ids: string[] = [];
  let events = 0;
  for (let start = 0; start < options.requests; start += perTurn) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(options.requests, start + perTurn); i++) {
      const id = uuid();
      const every = options.spreadEveryMs;
      const family = every === undefined ? undefined : ((options.firstNumber ?? 1) + i) >> 1;
      // A family's requests go to its case's team.
      const teamId = (family ?? i) % 2 === 0 ? 'north' : 'south';
      const at = every === undefined ? undefined : new Date(options.now.getTime() - (options.requests - (i - (i % SAME_START))) * every);
      const stamped = stamper.stamp(options.kindOf(i), teamId, id, (options.firstNumber ?? 1) + i, { family, at });
      events += stamped.length;
      ids.push(id);
      batch.push(store.append(streamIdFor(id), stamped, { expectedRevision: 'no_stream' }));
    }
    await Promise.all(batch);
    options.onProgress?.(ids.length, events);
  }
  return { ids, events };
}
