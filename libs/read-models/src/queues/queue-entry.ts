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

const NEEDS_COVER = Buffer.from(',"needsCover":');

/**
 * A stored entry's QueueRowKeys read from its text, decoding only their values. Exact for what
 * JSON.stringify writes of a QueueEntry (the projection's text): its first member is `id`, and a
 * member's `,"name":` cannot occur inside a string value, whose quotes are all escaped; of the nested
 * objects only `assignee` has an `id`, its first member. The members read all come before
 * `needsCover`: only the bytes before it are decoded, once, and searched as a string (a native call
 * a search, seven a row, were most of the rows' cost). Text not of that shape is parsed whole.
 */
export function queueRowKeys(stored: Buffer): QueueRowKeys {
  const end = stored.indexOf(NEEDS_COVER);
  const text = stored.toString('utf8', 0, end < 0 ? stored.length : end);
  const id = text.startsWith('{"id":"') ? stringAt(text, 6) : undefined;
  const caseRef = valueAfter(text, ',"caseRef":');
  const teamId = valueAfter(text, ',"teamId":');
  const assignee = text.indexOf(',"assignee":');
  const value = assignee + ',"assignee":'.length;
  const assigneeId =
    assignee < 0
      ? undefined
      : text.startsWith('null', value)
        ? null
        : text.startsWith('{"id":"', value)
          ? stringAt(text, value + 6)
          : undefined;
  if (typeof id !== 'string' || caseRef === undefined || teamId === undefined || assigneeId === undefined) {
    return rowKeysOf(JSON.parse(stored.toString()) as QueueEntry);
  }
  return { id, caseRef, teamId, assigneeId };
}

/** The string or null value after the member name `member` (with its comma, quotes and colon); undefined when there is none. */
function valueAfter(text: string, member: string): string | null | undefined {
  const at = text.indexOf(member);
  if (at < 0) return undefined;
  const value = at + member.length;
  return text.startsWith('null', value) ? null : stringAt(text, value);
}

/** The JSON string starting at `start` (its opening quote), decoded; undefined when there is none. */
function stringAt(text: string, start: number): string | undefined {
  if (text.charCodeAt(start) !== 0x22) return undefined;
  for (let from = start + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return undefined;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    // An even run of backslashes escapes itself: this quote ends the string.
    if (backslashes % 2 === 0) {
      // Ids, case numbers and team ids hold no escapes: the text between the quotes is the value.
      const escape = text.indexOf('\\', start + 1);
      return escape < 0 || escape > quote ? text.slice(start + 1, quote) : (JSON.parse(text.slice(start, quote + 1)) as string);
    }
    from = quote + 1;
  }
}

const SCORE = Buffer.from(',"score":');

/**
 * Where the stored text's last member, the score, starts (its comma), or -1 when the text does not
 * end with one as JSON.stringify writes a number: `,"score":` then only a number's characters, then
 * the closing brace. Scanned back from the end in a few steps, no native call: the stored text is
 * JSON, so number characters there are a number (NaN and Infinity are written `null`), and a
 * nested object's `score` would be followed by two braces.
 */
function scoreAt(stored: Buffer): number {
  let i = stored.length - 1;
  if (stored[i] !== 0x7d) return -1; // }
  const last = --i;
  while (i >= 0 && isNumberByte(stored[i]!)) i--;
  if (i === last) return -1;
  const at = i - SCORE.length + 1;
  if (at < 0) return -1;
  for (let k = 0; k < SCORE.length; k++) if (stored[at + k] !== SCORE[k]) return -1;
  return at;
}

/** 0-9 - + . e E */
const isNumberByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;

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
    const score = scoreAt(stored);
    if (score >= 0) return stored.subarray(0, score);
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
