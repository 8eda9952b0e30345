import type { RecordedEvent, SubscriptionFilter } from '../event-store.port';
import { toRecorded, type Row } from './sqlite-append';

/**
 * The store's most recent events as read, shared by its live subscriptions (ADR 0024): a worker
 * runs several subscriptions on one store, and each used to query and parse the same new rows. The
 * tail covers a contiguous range of positions (from, to]: every committed row in that range is in
 * it (positions may have gaps; coverage is by range, not count). A row is parsed (JSON data and
 * metadata) the first time a subscription hands it out, once for all of them.
 *
 * Events it hands out are shared by every subscription that takes them: consumers must not mutate
 * them (tests deep-freeze them: FREEZE_SHARED_EVENTS).
 */
export class SqliteTail {
  private entries: TailEntry[] = [];
  private bytes = 0;
  /** Exclusive: the tail holds every committed row with from < position <= to. */
  from: bigint;
  to: bigint;

  constructor(
    /** At most this many events... */
    readonly maxEvents: number,
    /** ...and about this many bytes of stored text (ids, streams, types, data, metadata). */
    readonly maxBytes: number,
    at: bigint,
  ) {
    this.from = this.to = at;
  }

  /** Empties the tail, covering nothing: (at, at]. */
  reset(at: bigint): void {
    this.entries = [];
    this.bytes = 0;
    this.from = this.to = at;
  }

  /**
   * Adds the rows read after `to` (in position order, every committed row of (to, upTo]) and drops
   * the oldest beyond the bounds.
   */
  extend(rows: Row[], upTo: bigint): void {
    for (const row of rows) {
      const bytes = rowBytes(row);
      this.entries.push({ position: BigInt(row.position), streamId: row.stream_id, type: row.type, bytes, row, event: null });
      this.bytes += bytes;
    }
    this.to = upTo;
    let drop = 0;
    let bytes = this.bytes;
    while (this.entries.length - drop > this.maxEvents || (bytes > this.maxBytes && drop < this.entries.length)) {
      bytes -= this.entries[drop++].bytes;
    }
    if (drop > 0) {
      this.from = this.entries[drop - 1].position;
      this.entries.splice(0, drop);
      this.bytes = bytes;
    }
  }

  /**
   * The events with last < position <= upTo that `match` takes, at most `limit` of them, and the
   * position up to which every matching one was returned. The caller checks from <= last and
   * upTo <= to.
   */
  collect(last: bigint, upTo: bigint, limit: number, match: EventMatch | null): { events: RecordedEvent[]; scannedTo: bigint } {
    const entries = this.entries;
    const events: RecordedEvent[] = [];
    for (let i = this.firstAfter(last); i < entries.length; i++) {
      const entry = entries[i];
      if (entry.position > upTo) break;
      if (match && !match(entry.streamId, entry.type)) continue;
      events.push(entry.event ?? parse(entry));
      if (events.length === limit) return { events, scannedTo: entry.position };
    }
    return { events, scannedTo: upTo };
  }

  /** Events held now (tests, diagnostics). */
  get size(): number {
    return this.entries.length;
  }

  /** The index of the first entry with a position above `position`. */
  private firstAfter(position: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].position <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface TailEntry {
  position: bigint;
  streamId: string;
  type: string;
  /** What it counts against maxBytes: its row's size. */
  bytes: number;
  /** The row as read, until the first subscription that takes the event parses it. */
  row: Row | null;
  event: RecordedEvent | null;
}

function parse(entry: TailEntry): RecordedEvent {
  const row = entry.row!;
  const event = sharedEvent(toRecorded(row));
  entry.event = event;
  entry.row = null;
  return event;
}

/** Roughly what a row holds in memory (UTF-16 strings, and the row's and entry's objects). */
function rowBytes(row: Row): number {
  return 2 * (row.id.length + row.stream_id.length + row.type.length + row.data.length + row.metadata.length) + 200;
}

/** The filter as SQL: a subscription's read when it is behind the tail. eventMatch must answer as it does. */
export function filterSql(filter?: SubscriptionFilter): { where: string; params: unknown[] } {
  let where = '';
  const params: unknown[] = [];
  if (filter?.streamPrefixes) {
    if (filter.streamPrefixes.length === 0) return { where: ' AND 0', params };
    where += ` AND (${filter.streamPrefixes.map((p) => `substr(stream_id, 1, ${[...p].length}) = ?`).join(' OR ')})`;
    params.push(...filter.streamPrefixes);
  }
  if (filter?.eventTypes) {
    if (filter.eventTypes.length === 0) return { where: ' AND 0', params: [] };
    where += ` AND type IN (${filter.eventTypes.map(() => '?').join(', ')})`;
    params.push(...filter.eventTypes);
  }
  return { where, params };
}

/** Whether an event is one a subscription's filter takes. */
export type EventMatch = (streamId: string, type: string) => boolean;

/**
 * The filter as a test in JS, the same semantics as the SQL (filterSql): any of the stream prefixes
 * AND any of the types; an empty list takes nothing. Null when it takes everything.
 */
export function eventMatch(filter?: SubscriptionFilter): EventMatch | null {
  const prefixes = filter?.streamPrefixes;
  const types = filter?.eventTypes ? new Set(filter.eventTypes) : null;
  if (!prefixes && !types) return null;
  if (prefixes?.length === 0 || types?.size === 0) return () => false;
  if (!types) return (streamId) => startsWithAny(streamId, prefixes!);
  if (!prefixes) return (_streamId, type) => types.has(type);
  return (streamId, type) => types.has(type) && startsWithAny(streamId, prefixes);
}

function startsWithAny(value: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) if (value.startsWith(prefix)) return true;
  return false;
}

/**
 * Tests set FREEZE_SHARED_EVENTS=1 (test/support) so a consumer that mutates an event it was handed
 * fails there rather than corrupting what the store's other subscriptions see.
 */
const freezeShared = process.env.FREEZE_SHARED_EVENTS === '1';

/** What a subscription hands out: deep-frozen under FREEZE_SHARED_EVENTS, else as it is. */
export function sharedEvent(event: RecordedEvent): RecordedEvent {
  return freezeShared ? deepFreeze(event) : event;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
