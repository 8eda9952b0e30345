import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { queueEncoded } from './encoded-command';

/**
 * What a projection reads: string keys (rm:request:<id>, rm:user:<id>...) as they stand after the
 * events applied before this one, including the earlier events of the same batch whose writes are
 * not committed yet.
 */
export interface ReadModelReader {
  get(key: string): Promise<string | null>;
  /**
   * The key's JSON, parsed. The object may be shared with other readers of the batch (it is what an
   * earlier event of the batch stored with setJson): treat it as read-only.
   */
  getJson<T>(key: string): Promise<T | null>;
  /**
   * getJson without a promise when the batch already knows the key (prefetched, read or written):
   * undefined when it would have to be read from Redis. A catch-up's projections find every key they
   * read prefetched, and go through an event with no promise at all.
   */
  peekJson<T>(key: string): T | null | undefined;
  /** A list key's items (as stored, with the batch's own appends after them): rare, whole-list reads (an erasure rewriting a timeline). */
  getList(key: string): Promise<string[]>;
  /** A sorted set's members (as stored, with the batch's own adds and removes), in no particular order: rare, whole-set reads. */
  getZsetMembers(key: string): Promise<string[]>;
}

/**
 * What a projection writes, committed with the checkpoint in the batch's one MULTI. Writes are
 * coalesced per batch, so that a key several events touch costs one command: a string key (set,
 * setJson, del) gets only its last value; a list one RPUSH of all its new items; a set or zset
 * member only its last add or remove (with its last score). So the kinds never mix on one key: a
 * string written through set/setJson/del, a list appended to (or replaced whole), a set, a zset.
 */
export interface ReadModelWrites {
  set(key: string, value: string): void;
  /** Stored as JSON.stringify(value) when the batch commits: do not mutate `value` afterwards. */
  setJson(key: string, value: unknown): void;
  del(key: string): void;
  rpush(key: string, value: string): void;
  /** The list becomes exactly `values` (DEL and RPUSH in the MULTI); later rpushes of the batch append to it. */
  replaceList(key: string, values: readonly string[]): void;
  sadd(key: string, member: string): void;
  srem(key: string, member: string): void;
  zadd(key: string, score: number, member: string): void;
  zrem(key: string, member: string): void;
  /**
   * Runs `derive` once, after the batch's last event and before its writes are queued (the first
   * registration for `id` wins, later ones are dropped). For writes derived from where a thing ends
   * up rather than from each event: a request's dashboard row, queue row and alerts are worked out
   * once per batch from its final record, not once per event (five times, in a catch-up).
   * `derive` reads and writes as a projection does; it must depend only on what it reads then and
   * on what it captured from the first event that registered it. Registrations are told apart by
   * `owner` (the projection) and `id` (what it derives for).
   */
  atBatchEnd(owner: string, id: string, derive: () => void | Promise<void>): void;
}

interface Entry {
  raw: string | null | undefined; // undefined: only the parsed value is known (setJson)
  parsed: unknown; // undefined: not parsed yet
  written: boolean;
}

/**
 * A batch's view of the read models: string values prefetched in one MGET (a key that was not is
 * read from Redis on first use, on the projector's connection, before the MULTI is sent), overlaid
 * with the batch's own writes, so event N+1 reads what event N wrote. `flush()` queues the
 * coalesced string and list writes on the MULTI.
 */
export class ReadThroughOverlay implements ReadModelReader, ReadModelWrites {
  private readonly entries = new Map<string, Entry>();
  /** Per list key: the batch's appends, after the stored items or (replaced) instead of them. */
  private readonly lists = new Map<string, { replaced: boolean; values: string[] }>();
  /** Per set key: member -> true (add) or false (remove), the last wins. */
  private readonly sets = new Map<string, Map<string, boolean>>();
  /** Per zset key: member -> its score, or null (remove), the last wins. */
  private readonly zsets = new Map<string, Map<string, number | null>>();
  /** atBatchEnd's derivations, in the order they were first registered... */
  private readonly batchEnd: Array<() => void | Promise<void>> = [];
  /**
   * ...and the ids registered, by owner: a map per owner rather than one keyed by owner + id, whose
   * key, a new string for each event of each projection, had to be joined and hashed every time.
   */
  private readonly batchEndIds = new Map<string, Set<string>>();

  constructor(private readonly redis: Redis) {}

  /** Values read for the batch up front (MGET), in the order of `keys`. */
  preload(keys: string[], values: Array<string | null>): void {
    keys.forEach((key, i) => this.entries.set(key, { raw: values[i] ?? null, parsed: undefined, written: false }));
  }

  async get(key: string): Promise<string | null> {
    const entry = await this.entry(key);
    if (entry.raw === undefined) entry.raw = JSON.stringify(entry.parsed);
    return entry.raw;
  }

  async getJson<T>(key: string): Promise<T | null> {
    return parsedOf<T>(await this.entry(key));
  }

  peekJson<T>(key: string): T | null | undefined {
    const entry = this.entries.get(key);
    return entry && parsedOf<T>(entry);
  }

  async getList(key: string): Promise<string[]> {
    const pending = this.lists.get(key);
    if (pending?.replaced) return [...pending.values];
    const stored = await this.redis.lrange(key, 0, -1);
    return [...stored, ...(pending?.values ?? [])];
  }

  async getZsetMembers(key: string): Promise<string[]> {
    const members = new Set(await this.redis.zrange(key, 0, -1));
    for (const [member, score] of this.zsets.get(key) ?? []) {
      if (score === null) members.delete(member);
      else members.add(member);
    }
    return [...members];
  }

  set(key: string, value: string): void {
    this.entries.set(key, { raw: value, parsed: undefined, written: true });
  }

  setJson(key: string, value: unknown): void {
    this.entries.set(key, { raw: undefined, parsed: value, written: true });
  }

  del(key: string): void {
    this.entries.set(key, { raw: null, parsed: null, written: true });
  }

  rpush(key: string, value: string): void {
    const list = this.lists.get(key);
    if (list) list.values.push(value);
    else this.lists.set(key, { replaced: false, values: [value] });
  }

  replaceList(key: string, values: readonly string[]): void {
    this.lists.set(key, { replaced: true, values: [...values] });
  }

  sadd(key: string, member: string): void {
    memberOps(this.sets, key).set(member, true);
  }

  srem(key: string, member: string): void {
    memberOps(this.sets, key).set(member, false);
  }

  zadd(key: string, score: number, member: string): void {
    memberOps(this.zsets, key).set(member, score);
  }

  zrem(key: string, member: string): void {
    memberOps(this.zsets, key).set(member, null);
  }

  atBatchEnd(owner: string, id: string, derive: () => void | Promise<void>): void {
    let ids = this.batchEndIds.get(owner);
    if (!ids) this.batchEndIds.set(owner, (ids = new Set()));
    if (ids.has(id)) return;
    ids.add(id);
    this.batchEnd.push(derive);
  }

  /** Runs the atBatchEnd derivations (once, after the batch's last event, before flush). */
  async endBatch(): Promise<void> {
    // By index: a derivation registered while these run runs too (as it did in a Map's iteration).
    for (let i = 0; i < this.batchEnd.length; i++) {
      const deriving = this.batchEnd[i]();
      if (deriving) await deriving;
    }
    this.batchEnd.length = 0;
    this.batchEndIds.clear();
  }

  /**
   * Queues the writes made since the last flush on `tx` (before its EXEC). The values stay known
   * for what is read next; list and set reads go to Redis, on the connection the MULTI was sent on,
   * so they come after it.
   */
  flush(tx: ChainableCommander): void {
    // One MSET and one DEL for every string key: what SET and DEL per key would leave, in two commands.
    const set: string[] = [];
    const deleted: string[] = [];
    for (const [key, entry] of this.entries) {
      if (!entry.written) continue;
      entry.written = false;
      if (entry.raw === null) deleted.push(key);
      else set.push(key, entry.raw ?? (entry.raw = JSON.stringify(entry.parsed)));
    }
    if (set.length > 0) queueEncoded(tx, 'mset', set);
    if (deleted.length > 0) tx.del(...deleted);
    for (const [key, { replaced, values }] of this.lists) {
      if (replaced) tx.del(key);
      if (values.length > 0) queueEncoded(tx, 'rpush', [key, ...values]);
    }
    for (const [key, members] of this.sets) {
      const added: string[] = [];
      const removed: string[] = [];
      for (const [member, add] of members) (add ? added : removed).push(member);
      if (added.length > 0) tx.sadd(key, ...added);
      if (removed.length > 0) tx.srem(key, ...removed);
    }
    for (const [key, members] of this.zsets) {
      const added: Array<string | number> = [];
      const removed: string[] = [];
      for (const [member, score] of members) {
        if (score === null) removed.push(member);
        else added.push(score, member);
      }
      if (added.length > 0) tx.zadd(key, ...added);
      if (removed.length > 0) tx.zrem(key, ...removed);
    }
    this.lists.clear();
    this.sets.clear();
    this.zsets.clear();
  }

  private async entry(key: string): Promise<Entry> {
    const known = this.entries.get(key);
    if (known) return known;
    const raw = await this.redis.get(key);
    // Another event of the batch may have read or written it meanwhile: that one stands.
    if (!this.entries.has(key)) this.entries.set(key, { raw, parsed: undefined, written: false });
    return this.entries.get(key)!;
  }
}

function parsedOf<T>(entry: Entry): T | null {
  if (entry.parsed === undefined) entry.parsed = entry.raw === null ? null : JSON.parse(entry.raw!);
  return entry.parsed as T | null;
}

function memberOps<V>(byKey: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let members = byKey.get(key);
  if (!members) byKey.set(key, (members = new Map()));
  return members;
}
