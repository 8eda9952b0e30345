import type { Page, PageCursor } from '../paging/zset-page';
import type { RequestView } from '../request-view/request-view';
import { queueScoreOf } from './queue-score';

/**
 * What a queue row shows, kept beside each queued request (rm:queue-entry:<id>) so a queue page reads
 * a few hundred bytes per row instead of the whole record. The fields are the request view's, so a
 * client of the old full-view queues keeps working; the rest is one GET /api/requests/:id away.
 */
export type QueueEntry = Pick<
  RequestView,
  | 'id'
  | 'reference'
  | 'caseRef'
  | 'status'
  | 'category'
  | 'priority'
  | 'requesterRole'
  | 'assignee'
  | 'teamId'
  | 'needsCover'
  | 'requesterFlaggedUrgent'
  | 'submittedAt'
  | 'due'
  | 'unansweredAttempts'
  | 'lastAttemptAt'
> & {
  escalation: Pick<NonNullable<RequestView['escalation']>, 'level' | 'status'> | null;
  /** The request's queue score (queueScoreOf in queue-score.ts): its position in whichever queue holds it. */
  score: number;
};

export function toQueueEntry(v: RequestView): QueueEntry {
  return {
    id: v.id,
    reference: v.reference,
    caseRef: v.caseRef,
    status: v.status,
    category: v.category,
    priority: v.priority,
    requesterRole: v.requesterRole,
    assignee: v.assignee ? { id: v.assignee.id, name: v.assignee.name } : null,
    teamId: v.teamId,
    needsCover: v.needsCover,
    requesterFlaggedUrgent: v.requesterFlaggedUrgent,
    submittedAt: v.submittedAt,
    due: { firstResponseAt: v.due.firstResponseAt, resolutionAt: v.due.resolutionAt },
    unansweredAttempts: v.unansweredAttempts,
    lastAttemptAt: v.lastAttemptAt,
    escalation: v.escalation ? { level: v.escalation.level, status: v.escalation.status } : null,
    score: queueScoreOf(v),
  };
}

/**
 * A page of queue entries as stored: `stored[i]` is the bytes of JSON.stringify of entry i, its score
 * last, as Redis sent them (readZsetPageBytes), so an answer can carry the rows without decoding or
 * serialising them again (queueRowsJson). The entries are parsed only when asked for (`items`, the
 * pages' rows): the api's answer needs only `rows`, and parsing a 100-row page (~50 kB) was a quarter
 * of the api's CPU for a queue page.
 */
export class QueuePage implements Page<QueueEntry> {
  private parsed: QueueEntry[] | undefined;
  private keys: QueueRowKeys[] | undefined;

  constructor(
    readonly stored: readonly Buffer[],
    readonly next: PageCursor | null,
  ) {}

  get items(): QueueEntry[] {
    return (this.parsed ??= this.stored.map((bytes) => JSON.parse(bytes.toString()) as QueueEntry));
  }

  /** What each row is about, without parsing the rest of it. */
  get rows(): QueueRowKeys[] {
    return (this.keys ??= this.parsed ? this.parsed.map(rowKeysOf) : this.stored.map(queueRowKeys));
  }
}

/** What the api records and decides about a row: whose request (the access log) and who holds it (cover). */
export interface QueueRowKeys {
  id: string;
  caseRef: string | null;
  teamId: string | null;
  assigneeId: string | null;
}

const rowKeysOf = (e: QueueEntry): QueueRowKeys => ({ id: e.id, caseRef: e.caseRef, teamId: e.teamId, assigneeId: e.assignee?.id ?? null });

const ID_FIRST = Buffer.from('{"id":"');
const CASE_REF = Buffer.from(',"caseRef":');
const TEAM_ID = Buffer.from(',"teamId":');
const ASSIGNEE = Buffer.from(',"assignee":');
const NULL = Buffer.from('null');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A stored entry's QueueRowKeys read from its bytes, decoding only their values. Exact for what
 * JSON.stringify writes of a QueueEntry (the projection's text): its first member is `id`, and a
 * member's `,"name":` cannot occur inside a string value, whose quotes are all escaped; of the nested
 * objects only `assignee` has an `id`, its first member. In UTF-8 a quote or a backslash byte is
 * never part of another character, so the bytes can be scanned as the text would be. Bytes not of
 * that shape are parsed whole.
 */
export function queueRowKeys(stored: Buffer): QueueRowKeys {
  const id = startsWith(stored, ID_FIRST, 0) ? stringAt(stored, ID_FIRST.length - 1) : undefined;
  const caseRef = valueAfter(stored, CASE_REF);
  const teamId = valueAfter(stored, TEAM_ID);
  const assignee = stored.indexOf(ASSIGNEE);
  const value = assignee + ASSIGNEE.length;
  const assigneeId =
    assignee < 0
      ? undefined
      : startsWith(stored, NULL, value)
        ? null
        : startsWith(stored, ID_FIRST, value)
          ? stringAt(stored, value + ID_FIRST.length - 1)
          : undefined;
  if (typeof id !== 'string' || caseRef === undefined || teamId === undefined || assigneeId === undefined) {
    return rowKeysOf(JSON.parse(stored.toString()) as QueueEntry);
  }
  return { id, caseRef, teamId, assigneeId };
}

/** Whether `prefix` is at `at` (a loop: a few bytes, cheaper than a call into Buffer's native compare). */
function startsWith(bytes: Buffer, prefix: Buffer, at: number): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** The string or null value after the member name `member` (with its comma, quotes and colon); undefined when there is none. */
function valueAfter(stored: Buffer, member: Buffer): string | null | undefined {
  const at = stored.indexOf(member);
  if (at < 0) return undefined;
  const value = at + member.length;
  return startsWith(stored, NULL, value) ? null : stringAt(stored, value);
}

/** The JSON string starting at `start` (its opening quote), decoded; undefined when there is none. */
function stringAt(stored: Buffer, start: number): string | undefined {
  if (stored[start] !== QUOTE) return undefined;
  for (let from = start + 1; ;) {
    const quote = stored.indexOf(QUOTE, from);
    if (quote < 0) return undefined;
    let backslashes = 0;
    while (stored[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    // An even run of backslashes escapes itself: this quote ends the string.
    if (backslashes % 2 === 0) {
      // Ids, case numbers and team ids hold no escapes: the bytes between the quotes are the value,
      // with no JSON.parse (four a row were a twelfth of the api's main-thread CPU for a queue page).
      const escape = stored.indexOf(BACKSLASH, start + 1);
      return escape < 0 || escape > quote
        ? stored.toString('utf8', start + 1, quote)
        : (JSON.parse(stored.toString('utf8', start, quote + 1)) as string);
    }
    from = quote + 1;
  }
}

const SCORE = Buffer.from(',"score":');
/** The stored text's last member, the score, as JSON.stringify writes a number (from its comma on). */
const SCORE_LAST = /^,"score":-?\d+(?:\.\d+)?(?:e[+-]\d+)?}$/;

/**
 * The page's rows as the api answers them, a JSON array of the entries without their scores, as
 * UTF-8: each stored row's bytes with its trailing score cut off, which are the bytes JSON.stringify
 * gives for the entry without it (the stored text is JSON.stringify's own output). A 100-row page is
 * ~50 kB: copying the bytes Redis sent costs a fraction of decoding, parsing and serialising them
 * again, and keeps them off the api's heap. An entry not stored that way is serialised again.
 */
export function queueRowsJson(page: QueuePage): Buffer {
  // Each row's bytes up to its closing brace, which is written after it.
  const rows = page.stored.map((stored, i) => {
    const score = stored.lastIndexOf(SCORE);
    if (score >= 0 && SCORE_LAST.test(stored.toString('latin1', score))) return stored.subarray(0, score);
    const { score: _score, ...row } = page.items[i]!;
    return Buffer.from(JSON.stringify(row).slice(0, -1));
  });
  let bytes = 1 + rows.length * 2; // [ ] and each row's } and , (one fewer comma than rows)
  for (const row of rows) bytes += row.length;
  const body = Buffer.allocUnsafe(Math.max(2, bytes));
  let at = 0;
  body[at++] = 0x5b; // [
  for (const row of rows) {
    if (at > 1) body[at++] = 0x2c; // ,
    at += row.copy(body, at);
    body[at++] = 0x7d; // }
  }
  body[at++] = 0x5d; // ]
  return body;
}
