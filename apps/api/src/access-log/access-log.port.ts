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

/** One staff read of one thing, as the log keeps it. */
export interface AccessLogEntry {
  at: Date;
  userId: string;
  role: string;
  what: AccessWhat;
  /** The request id (request, timeline) or the caseRef (case). */
  id: string;
  /** The child's case the thing belongs to (null: a request in triage), so "who read this child's case" is one query. */
  caseRef: string | null;
  /** The team the thing belonged to when read: a team manager reads their team's part of the log. */
  teamId: string | null;
  context: AccessContext;
  via: AccessVia;
}

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
 * Append-only: nothing here changes or removes an entry. Answers newest first, paged by a cursor
 * of (at in ms, the entry's sequence number).
 */
export interface AccessLogStore {
  append(entries: readonly AccessLogEntry[]): Promise<void>;
  query(filter: AccessLogFilter, page: PageRequest): Promise<Page<AccessLogEntry>>;
  close(): Promise<void>;
}

export const ACCESS_LOG_STORE = Symbol('ACCESS_LOG_STORE');
