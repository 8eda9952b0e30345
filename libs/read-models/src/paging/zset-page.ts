import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/**
 * Keyset paging over a Redis sorted set. Items are ordered by (score, member) as Redis orders them:
 * by score, equal scores by member bytes. A cursor is the (score, id) of the last item a page
 * returned; the next page starts strictly after that position, wherever the item itself is now, so
 * an item that stays put during a walk is returned exactly once however many are added or re-scored
 * around it. (An item re-scored during the walk is seen where it was when each page was read: it can
 * be missed when it moves ahead of the cursor, or seen twice when it moves behind it.)
 */
export interface PageCursor {
  score: number;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; null when this was the last. */
  next: PageCursor | null;
}

export interface PageRequest {
  limit: number;
  after?: PageCursor | null;
}

export type PageOrder = 'asc' | 'desc';

/** Members of one page, in page order, and whether more follow. */
export interface ZsetPage {
  members: PageCursor[];
  more: boolean;
}

/**
 * Up to `limit` members after the cursor, plus whether more follow (it reads limit + 1). The first
 * page is one ZRANGE. A later page is one script: a range by score cannot start between two members
 * of equal score (ties are common: requests submitted out of hours share one due time), so the
 * script finds the cursor's rank (ZRANK when the cursor's member still has the cursor's score,
 * otherwise a binary search by rank over the members of that score) and reads a range by rank:
 * O(log n) steps, never proportional to the set or to the ties.
 */
export async function readZsetPage(redis: Redis, key: string, order: PageOrder, page: PageRequest): Promise<ZsetPage> {
  const count = page.limit + 1;
  const flat = page.after
    ? await pageAfter(redis, key, page.after, count, order)
    : order === 'asc'
      ? await redis.zrange(key, 0, count - 1, 'WITHSCORES')
      : await redis.zrange(key, 0, count - 1, 'REV', 'WITHSCORES');
  return zsetPageOf(flat as string[], page.limit);
}

/**
 * Merges pages of several sets read with the same cursor (each with limit + 1) into one: the first
 * `limit` of their union in the same order. Exact because every set returned everything after the
 * cursor up to its own limit + 1; a member in several sets must have the same score in each.
 */
export function mergeZsetPages(pages: ZsetPage[], order: PageOrder, limit: number): ZsetPage {
  const sign = order === 'asc' ? 1 : -1;
  // A member in several sets with the same score (a request both the caller's own and on their case)
  // sorts next to itself: keep it once.
  const all = pages
    .flatMap((p) => p.members)
    .sort((a, b) => sign * compareCursor(a, b))
    .filter((m, i, sorted) => i === 0 || sorted[i - 1]!.id !== m.id || sorted[i - 1]!.score !== m.score);
  return { members: all.slice(0, limit), more: all.length > limit || pages.some((p) => p.more) };
}

/** Redis's own order of zset members: score, then member bytes (UTF-8). */
export function compareCursor(a: PageCursor, b: PageCursor): number {
  return a.score - b.score || compareBytes(a.id, b.id);
}

/**
 * UTF-8 byte order without encoding in the common case: below the surrogates, UTF-16 code units
 * order as code points, and so as UTF-8 bytes.
 */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  return a.length - b.length;
}

/**
 * A paging script by its SHA (the server keeps it), sent whole only when the server does not know it
 * yet. `bytes`: its bulk replies as Buffers (views of what the socket read), not decoded to strings.
 */
async function runScript(redis: Redis, script: PagingScript, key: string, args: string[], bytes = false): Promise<unknown> {
  try {
    return await (bytes ? redis.callBuffer('evalsha', script.sha, 1, key, ...args) : redis.evalsha(script.sha, 1, key, ...args));
  } catch (error) {
    if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    return bytes ? redis.callBuffer('eval', script.text, 1, key, ...args) : redis.eval(script.text, 1, key, ...args);
  }
}

function pageAfter(redis: Redis, key: string, after: PageCursor, count: number, order: PageOrder): Promise<unknown> {
  return runScript(redis, PAGE_AFTER, key, [String(after.score), after.id, String(count), order]);
}

/**
 * A page of stored texts in one round trip: the value of `prefix + member` for each member
 * readZsetPage would return, read in the same script (one read of the order and the rows together:
 * a row is never shown with content newer than its place), and the next cursor. Members whose value
 * is gone are skipped, as in pageOf. Where readZsetPage and readPageTexts take two round trips, each
 * of which waits a turn of a busy api's event loop.
 */
export async function readZsetPageTexts(
  redis: Redis,
  key: string,
  prefix: string,
  order: PageOrder,
  page: PageRequest,
): Promise<Page<string>> {
  return (await readZsetPageStored<string>(redis, key, prefix, order, page, false)).page;
}

/**
 * readZsetPageTexts with the values as the bytes Redis sent, never decoded: for a caller that only
 * scans them and copies them into its answer (a queue page, queue-entry.ts). A 100-row page is
 * ~50 kB: as strings it was decoded, held on the api's heap while the page was answered (copied by
 * every scavenge it outlived) and encoded again for the socket.
 */
export async function readZsetPageBytes(
  redis: Redis,
  key: string,
  prefix: string,
  order: PageOrder,
  page: PageRequest,
): Promise<Page<Buffer>> {
  return (await readZsetPageStored<Buffer>(redis, key, prefix, order, page, true)).page;
}

/** What a page's script reads besides the page: the value of `prefix + member` for each member of the set `set`. */
export interface AlsoRead {
  set: string;
  prefix: string;
}

/**
 * readZsetPageBytes and, in the same script, the values `also` names (in no order; null where a
 * member's value is gone): one round trip where the two reads were two commands, each a write to
 * Redis and a reply to wait for (a team queue's page and its users, who may be away).
 */
export function readZsetPageBytesAnd(
  redis: Redis,
  key: string,
  prefix: string,
  order: PageOrder,
  page: PageRequest,
  also: AlsoRead,
): Promise<{ page: Page<Buffer>; also: Array<Buffer | null> }> {
  return readZsetPageStored<Buffer>(redis, key, prefix, order, page, true, also);
}

async function readZsetPageStored<Stored extends string | Buffer>(
  redis: Redis,
  key: string,
  prefix: string,
  order: PageOrder,
  page: PageRequest,
  bytes: boolean,
  also: AlsoRead = { set: '', prefix: '' },
): Promise<{ page: Page<Stored>; also: Array<Stored | null> }> {
  const after = page.after ? [String(page.after.score), page.after.id] : [];
  const args = [prefix, String(page.limit), order, also.set, also.prefix, ...after];
  const [values, alsoValues, more, member, score] = (await runScript(redis, PAGE_TEXTS, key, args, bytes)) as [
    Array<Stored | null>,
    Array<Stored | null>,
    number,
    Stored?,
    Stored?,
  ];
  return {
    page: {
      items: values.filter((v): v is Stored => v !== null),
      // String() decodes a Buffer as UTF-8 (a page read as bytes).
      next: more === 1 && member !== undefined ? { id: String(member), score: Number(String(score)) } : null,
    },
    also: alsoValues,
  };
}

/** The page's items (members whose value is gone, e.g. resolved between the two reads, are skipped) and its next cursor. */
export function pageOf<T>(page: ZsetPage, values: Array<T | null>): Page<T> {
  return {
    items: values.filter((v): v is T => v !== null),
    next: page.more && page.members.length > 0 ? page.members[page.members.length - 1] : null,
  };
}

/** A page of stored texts: one MGET of `keyOf(member)` for the page's members (see pageOf). */
export async function readPageTexts(redis: Redis, page: ZsetPage, keyOf: (id: string) => string): Promise<Page<string>> {
  if (page.members.length === 0) return pageOf(page, []);
  return pageOf(page, await redis.mget(page.members.map((m) => keyOf(m.id))));
}

/** readPageTexts with the values as the bytes Redis sent (see readZsetPageBytes). */
export async function readPageBytes(redis: Redis, page: ZsetPage, keyOf: (id: string) => string): Promise<Page<Buffer>> {
  if (page.members.length === 0) return pageOf(page, []);
  return pageOf(page, await redis.mgetBuffer(page.members.map((m) => keyOf(m.id))));
}

/** A page of JSON values: one MGET of `keyOf(member)` for the page's members (see pageOf). */
export async function readPageValues<T, S = T>(
  redis: Redis,
  page: ZsetPage,
  keyOf: (id: string) => string,
  /** What the item is made from its parsed JSON (default: the JSON itself). */
  decode: (stored: S) => T = (stored) => stored as unknown as T,
): Promise<Page<T>> {
  return parsedPage(await readPageTexts(redis, page, keyOf), decode);
}

/** readZsetPageTexts with each value parsed (and made an item by `decode`): one round trip. */
export async function readZsetPageValues<T, S = T>(
  redis: Redis,
  key: string,
  prefix: string,
  order: PageOrder,
  page: PageRequest,
  decode: (stored: S) => T = (stored) => stored as unknown as T,
): Promise<Page<T>> {
  return parsedPage(await readZsetPageTexts(redis, key, prefix, order, page), decode);
}

function parsedPage<T, S>(texts: Page<string>, decode: (stored: S) => T): Page<T> {
  return { ...texts, items: texts.items.map((s) => decode(JSON.parse(s) as S)) };
}

/** The page of `limit` members in member, score pairs read with limit + 1 (the extra one says more follow). */
function zsetPageOf(flat: Array<string | Buffer>, limit: number): ZsetPage {
  const members = pairs(flat);
  const more = members.length > limit;
  return { members: more ? members.slice(0, limit) : members, more };
}

function pairs(flat: Array<string | Buffer>): PageCursor[] {
  const out: PageCursor[] = [];
  // String() decodes a Buffer as UTF-8 (a script page read as bytes).
  for (let i = 0; i < flat.length; i += 2) out.push({ id: String(flat[i]), score: Number(String(flat[i + 1])) });
  return out;
}

interface PagingScript {
  text: string;
  sha: string;
}

const script = (text: string): PagingScript => ({ text, sha: createHash('sha1').update(text).digest('hex') });

// rangeAfter(key, s, id, count, desc): member, score pairs after the cursor (s, id) in page order
// ('desc' reads with REV). `below`: how many members sort strictly before the cursor. Members are
// compared byte by byte as Redis orders them (Lua's < follows the server's locale).
const RANGE_AFTER = `
local function bytesBefore(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function rangeAfter(key, s, id, count, desc)
  local below
  local present = false
  local current = redis.call('ZSCORE', key, id)
  if current and tonumber(current) == tonumber(s) then
    below = redis.call('ZRANK', key, id)
    present = true
  else
    local lo = redis.call('ZCOUNT', key, '-inf', '(' .. s)
    local hi = redis.call('ZCOUNT', key, '-inf', s)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      local m = redis.call('ZRANGE', key, mid, mid)[1]
      if bytesBefore(m, id) then lo = mid + 1 else hi = mid end
    end
    below = lo
  end
  if desc then
    if below == 0 then return {} end
    local total = redis.call('ZCARD', key)
    local first = total - below
    return redis.call('ZRANGE', key, first, first + count - 1, 'REV', 'WITHSCORES')
  end
  local start = below
  if present then start = below + 1 end
  return redis.call('ZRANGE', key, start, start + count - 1, 'WITHSCORES')
end
`;

// KEYS[1] the zset; ARGV: cursor score, cursor id, count, 'asc' | 'desc'. Returns member, score pairs.
const PAGE_AFTER = script(`${RANGE_AFTER}
return rangeAfter(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == 'desc')
`);

// KEYS[1] the zset; ARGV: value key prefix, limit, 'asc' | 'desc', a set whose members' values are
// read too and their key prefix ('' and '': none), and the cursor's score and id (none: the first
// page). Returns { the values of the page's members, the set's members' values, 1 when more follow
// (else 0), the page's last member and its score (none when the page is empty) }: the members and
// scores a page does not answer with stay here (a 100-row queue page's were ~6 kB to send and parse).
// The value keys and the set are not in KEYS: paging needs the one Redis the read models live in.
const PAGE_TEXTS = script(`${RANGE_AFTER}
local key, prefix, limit, desc = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3] == 'desc'
local also = {}
if ARGV[4] ~= '' then
  local members = redis.call('SMEMBERS', ARGV[4])
  if #members > 0 then
    local names = {}
    for i = 1, #members do names[i] = ARGV[5] .. members[i] end
    also = redis.call('MGET', unpack(names))
  end
end
local flat
if ARGV[6] then
  flat = rangeAfter(key, ARGV[6], ARGV[7], limit + 1, desc)
elseif desc then
  flat = redis.call('ZRANGE', key, 0, limit, 'REV', 'WITHSCORES')
else
  flat = redis.call('ZRANGE', key, 0, limit, 'WITHSCORES')
end
local shown = math.min(#flat / 2, limit)
local more = 0
if #flat / 2 > limit then more = 1 end
if shown == 0 then return { {}, also, more } end
local names = {}
for i = 1, shown do names[i] = prefix .. flat[2 * i - 1] end
return { redis.call('MGET', unpack(names)), also, more, flat[2 * shown - 1], flat[2 * shown] }
`);
