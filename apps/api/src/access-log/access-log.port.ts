import type { Page, PageRequest } from '@send/read-models';

/** What a member of staff read: one request's view, its timeline, or a case (its contacts). */
export const ACCESS_WHATS = ['request', 'timeline', 'case'] as const;
export type AccessWhat = (typeof ACCESS_WHATS)[number];

/**
 * Why-context of a read: `direct` one item opened by its id or link; `list` a page of the request
 * list; `search` that list filtered (by case or status); `queue` a work queue's rows; `case` the
 * requests shown on their case; `export` a subject access export (GET /api/data-subjects/:id/export).
 */
export const ACCESS_CONTEXTS = ['direct', 'list', 'search', 'queue', 'case', 'export'] as const;
export type AccessContext = (typeof ACCESS_CONTEXTS)[number];

/** Through the JSON API or a server-rendered page. */
export const ACCESS_VIAS = ['api', 'page'] as const;
export type AccessVia = (typeof ACCESS_VIAS)[number];

/** How a read came about: given by the caller of a query (the API controller, a page). */
export interface ReadContext {
  context: AccessContext;
  via: AccessVia;
}

/** A thing a read showed: what, its id, and the case and team it belongs to. */
export interface ReadItem {
  what: AccessWhat;
  /** The request id (request, timeline) or the caseRef (case). */
  id: string;
  /** The child's case the thing belongs to (null: a request in triage), so "who read this child's case" is one query. */
  caseRef: string | null;
  /** The team the thing belonged to when read: a team manager reads their team's part of the log. */
  teamId: string | null;
}

/** One staff read as it is recorded: who, when and why, and every item it showed (a queue page: its rows). */
export interface AccessRead {
  at: Date;
  userId: string;
  role: string;
  context: AccessContext;
  via: AccessVia;
  items: readonly ReadItem[];
}

/** An item as a read's `items` text holds it. */
export type PackedItem = [what: AccessWhat, id: string, caseRef: string | null, teamId: string | null];

/**
 * A read as the log holds it until it is written, and as a store takes it: its items already the
 * JSON text they are stored as, with what the store indexes them by. One string a read, not an
 * object (and three strings) an item: while a write is slow (the bulk case index, a checkpoint),
 * the reads recorded meanwhile wait on the api's heap; as objects, a 100-row queue page's read was
 * ~500 of them, which outlived a scavenge, were copied and promoted (~1 MB a scavenge under a queue
 * load), and made each scavenge of the api's main thread 5-14 ms instead of 1-2.
 */
export interface PackedRead {
  /** When, in ms since the epoch. */
  at: number;
  userId: string;
  role: string;
  context: AccessContext;
  via: AccessVia;
  /** JSON of the items in the order shown, each a PackedItem. */
  items: string;
  /** How many items. */
  count: number;
  /** The teams the items belonged to, each once. */
  teams: string[];
  /** How many items name a case. */
  cased: number;
}

export function packRead({ at, userId, role, context, via, items }: AccessRead): PackedRead {
  const teams = new Set<string>();
  let cased = 0;
  for (const item of items) {
    if (item.teamId !== null) teams.add(item.teamId);
    if (item.caseRef !== null) cased++;
  }
  return {
    at: at.getTime(),
    userId,
    role,
    context,
    via,
    items: JSON.stringify(items.map((i): PackedItem => [i.what, i.id, i.caseRef, i.teamId])),
    count: items.length,
    teams: [...teams],
    cased,
  };
}

export function unpackRead({ at, userId, role, context, via, items }: PackedRead): AccessRead {
  const unpacked = (JSON.parse(items) as PackedItem[]).map(([what, id, caseRef, teamId]): ReadItem => ({ what, id, caseRef, teamId }));
  return { at: new Date(at), userId, role, context, via, items: unpacked };
}

/** One staff read of one thing, as the log answers it: a read of n items is n entries. */
export type AccessLogEntry = Omit<AccessRead, 'items'> & ReadItem;

/** Which entries to answer; every field narrows. `teamId` is the reader's scope (a team manager's team), not a client filter. */
export interface AccessLogFilter {
  caseRef?: string;
  userId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  teamId?: string;
}

/**
 * Where the log is kept (the embedded default: SqliteAccessLogStore; a PostgreSQL store can follow).
 * Append-only: nothing here changes or removes an entry. Answers entries newest first (of one read,
 * the last item shown first), paged by a cursor of (at in ms, `${read's sequence number}.${item's
 * index}`).
 */
export interface AccessLogStore {
  append(reads: readonly PackedRead[]): Promise<void>;
  query(filter: AccessLogFilter, page: PageRequest): Promise<Page<AccessLogEntry>>;
  close(): Promise<void>;
}

export const ACCESS_LOG_STORE = Symbol('ACCESS_LOG_STORE');
