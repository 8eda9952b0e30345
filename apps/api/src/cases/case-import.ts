import { parse } from 'csv-parse/sync';
import { CASE_REF_PATTERN, contactKey, TEAM_ID_PATTERN, toE164, type CaseContactInput, type SyncCase } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { ProblemException } from '../common/problem';
import type { CaseCommandContext, CaseCommands } from './case-commands';
import { CasePeople } from './case-people';

/** The import file's columns (shared API.md, "Cases and routing"); any order, others ignored. */
export const CASE_CSV_COLUMNS = [
  'caseRef',
  'childName',
  'teamId',
  'caseOfficerEmail',
  'contactName',
  'relationship',
  'contactEmail',
  'contactPhone',
] as const;
type Column = (typeof CASE_CSV_COLUMNS)[number];

export interface LineError {
  field: string;
  message: string;
}
export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  /** Every line not imported, by line number (the header is line 1). */
  rejected: Array<{ line: number; errors: LineError[] }>;
}
export interface ImportProgress {
  /** Data lines dealt with (imported or rejected) so far, of `total`. */
  done: number;
  total: number;
}
export interface ImportOptions extends CaseCommandContext {
  /** Cases appended at once (each case is one stream, so they do not contend). */
  concurrency?: number;
  onProgress?: (progress: ImportProgress) => void;
}

/** The file as a whole cannot be read: not CSV, or its header lacks columns. Nothing is imported. */
export class CaseFileError extends Error {
  override readonly name = 'CaseFileError';
  constructor(
    message: string,
    readonly errors: LineError[],
  ) {
    super(message);
  }
}

interface Row {
  line: number;
  values: Record<Column, string>;
  /** Fields on the line, and in the header. */
  width: number;
  expected: number;
}
interface CaseRows {
  caseRef: string;
  rows: Row[];
  errors: Map<number, LineError[]>;
}

/**
 * The case import, for `POST /api/cases/import` and `npm run import-cases` alike: CSV rows (one per
 * contact) grouped by caseRef into one SyncCase each, with the case's full contact set. A case
 * with any bad line is not imported at all, so nothing is half-written; other cases still are.
 * The decider appends only what differs, so the same file twice appends nothing.
 */
export class CaseImport {
  constructor(
    private readonly commands: Pick<CaseCommands, 'run'>,
    private readonly store: EventStore,
  ) {}

  async importCsv(csv: string | Buffer, options: ImportOptions): Promise<ImportReport> {
    const rows = readRows(typeof csv === 'string' ? csv : csv.toString('utf8'));
    const report: ImportReport = { created: 0, updated: 0, unchanged: 0, rejected: [] };
    const progress = { done: 0, total: rows.length };
    const people = new CasePeople(this.store); // per import: accounts registered meanwhile count next time
    const advance = (lines: number) => {
      progress.done += lines;
      options.onProgress?.({ ...progress });
    };
    options.onProgress?.({ ...progress });

    const work = groupByCase(rows).map((group) => async () => {
      const command = await toSyncCase(group, people);
      if (command) {
        try {
          report[(await this.commands.run(command, options)).outcome]++;
        } catch (error) {
          // The domain names a contact as contacts[i]: that is the case's i-th contact line.
          const reason = commandError(error);
          const at = /^contacts\[(\d+)\]/.exec(reason.field);
          const line = at ? group.rows.filter((r) => hasContact(r.values))[Number(at[1])]?.line : undefined;
          if (line !== undefined) group.errors.set(line, [reason]);
          rejectCase(group, line !== undefined ? notImported(group) : reason);
        }
      }
      for (const row of group.rows) {
        const errors = group.errors.get(row.line);
        if (errors) report.rejected.push({ line: row.line, errors });
      }
      advance(group.rows.length);
    });
    await runPool(work, options.concurrency ?? 8);
    report.rejected.sort((a, b) => a.line - b.line);
    return report;
  }
}

/** Parses the file into rows with their line numbers (a quoted field may span lines: the row's first). */
function readRows(text: string): Row[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // CRLF to LF first: csv-parse counts lines after an empty CRLF line one too many.
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new CaseFileError(`The file is not readable CSV: ${(error as Error).message}`, [
      { field: 'file', message: (error as Error).message },
    ]);
  }
  const [header, ...data] = records;
  const names = (header?.record ?? []).map((n) => n.trim());
  const missing = CASE_CSV_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new CaseFileError(
      `The header lacks ${missing.length === 1 ? 'a column' : 'columns'}: ${missing.join(', ')} (expected ${CASE_CSV_COLUMNS.join(',')}).`,
      missing.map((column) => ({ field: column, message: 'missing from the header' })),
    );
  }
  const index = Object.fromEntries(CASE_CSV_COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<Column, number>;
  return data.map(({ record, info }) => {
    const newlinesInside = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    const values = Object.fromEntries(CASE_CSV_COLUMNS.map((c) => [c, record[index[c]] ?? ''])) as Record<Column, string>;
    return { line: info.lines - newlinesInside, values, width: record.length, expected: names.length };
  });
}

/** Groups rows by caseRef (they need not be adjacent), checking each line on its own and against its case's first. */
function groupByCase(rows: Row[]): CaseRows[] {
  const cases = new Map<string, CaseRows>();
  const unnamed: CaseRows[] = [];
  for (const row of rows) {
    const v = row.values;
    const errors: LineError[] = [];
    if (row.width < row.expected) errors.push({ field: 'line', message: `has ${row.width} fields; the header has ${row.expected}` });
    if (!v.caseRef) errors.push({ field: 'caseRef', message: 'is required' });
    else if (!CASE_REF_PATTERN.test(v.caseRef))
      errors.push({ field: 'caseRef', message: `"${v.caseRef}" is not a case number (letters, digits and -/._, up to 64)` });
    if (!v.childName) errors.push({ field: 'childName', message: 'is required' });
    else if (v.childName.length > 200) errors.push({ field: 'childName', message: 'must be at most 200 characters' });
    if (!TEAM_ID_PATTERN.test(v.teamId))
      errors.push({ field: 'teamId', message: `"${v.teamId}" is not a team id (lower-case letters, digits, - and _)` });
    if (!EMAIL.test(v.caseOfficerEmail))
      errors.push({ field: 'caseOfficerEmail', message: `"${v.caseOfficerEmail}" is not an email address` });
    if (hasContact(v)) {
      if (!v.contactName) errors.push({ field: 'contactName', message: 'is required for a contact' });
      else if (v.contactName.length > 200) errors.push({ field: 'contactName', message: 'must be at most 200 characters' });
      if (!v.relationship) errors.push({ field: 'relationship', message: 'is required for a contact' });
      else if (v.relationship.length > 100) errors.push({ field: 'relationship', message: 'must be at most 100 characters' });
      if (v.contactEmail && !EMAIL.test(v.contactEmail))
        errors.push({ field: 'contactEmail', message: `"${v.contactEmail}" is not an email address` });
      if (v.contactPhone && toE164(v.contactPhone) === null)
        errors.push({ field: 'contactPhone', message: `"${v.contactPhone}" is not a phone number (e.g. 07700 900101 or +447700900101)` });
    }

    const group: CaseRows = v.caseRef
      ? (cases.get(v.caseRef) ?? { caseRef: v.caseRef, rows: [], errors: new Map() })
      : { caseRef: '', rows: [], errors: new Map() };
    if (v.caseRef) cases.set(v.caseRef, group);
    else unnamed.push(group);
    const first = group.rows[0];
    if (first) {
      for (const field of ['childName', 'teamId', 'caseOfficerEmail'] as const) {
        if (!same(field, first.values[field], v[field]))
          errors.push({ field, message: `"${v[field]}" differs from line ${first.line} ("${first.values[field]}") of the same case` });
      }
      const key = hasContact(v) ? keyOf(v) : null;
      const twin = key && group.rows.find((r) => hasContact(r.values) && keyOf(r.values) === key);
      if (twin)
        errors.push({
          field: v.contactEmail ? 'contactEmail' : v.contactPhone ? 'contactPhone' : 'contactName',
          message: `the same contact as line ${twin.line}`,
        });
    }
    group.rows.push(row);
    if (errors.length > 0) group.errors.set(row.line, errors);
  }
  return [...cases.values(), ...unnamed];
}

/** The case's SyncCase, or null when a line is bad (then every line of the case is in `errors`). */
async function toSyncCase(group: CaseRows, people: CasePeople): Promise<SyncCase | null> {
  const first = group.rows[0].values;
  if (group.errors.size === 0) {
    const officer = await people.officerByEmail(first.caseOfficerEmail);
    if (!officer)
      group.errors.set(group.rows[0].line, [
        { field: 'caseOfficerEmail', message: `${first.caseOfficerEmail} is not a registered officer in a team` },
      ]);
    else {
      const contacts: CaseContactInput[] = [];
      for (const { values: v } of group.rows) {
        if (!hasContact(v)) continue;
        const email = v.contactEmail.toLowerCase() || undefined;
        const userId = email ? await people.portalUserId(email) : null;
        contacts.push({
          name: v.contactName,
          relationship: v.relationship,
          ...(email ? { email } : {}),
          ...(v.contactPhone ? { phone: toE164(v.contactPhone)! } : {}),
          ...(userId ? { userId } : {}),
        });
      }
      return {
        type: 'SyncCase',
        caseRef: group.caseRef,
        childName: first.childName,
        teamId: first.teamId,
        caseOfficerId: officer.userId,
        contacts,
      };
    }
  }
  rejectCase(group, notImported(group));
  return null;
}

function notImported(group: CaseRows): LineError {
  const bad = [...group.errors.keys()];
  return {
    field: 'caseRef',
    message: `case ${group.caseRef || '(none)'} not imported: line ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} invalid`,
  };
}

/** Marks every line of the case not imported: the bad ones keep their own errors, the rest say why. */
function rejectCase(group: CaseRows, reason: LineError): void {
  for (const row of group.rows) if (!group.errors.has(row.line)) group.errors.set(row.line, [reason]);
}

function commandError(error: unknown): LineError {
  if (error instanceof ProblemException) {
    const [first] = error.problem.errors ?? [];
    return first ? { field: first.field, message: first.message } : { field: 'case', message: error.problem.detail ?? error.problem.title };
  }
  return { field: 'case', message: `not imported: ${error instanceof Error ? error.message : String(error)}` };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const hasContact = (v: Record<Column, string>) => !!(v.contactName || v.relationship || v.contactEmail || v.contactPhone);
const keyOf = (v: Record<Column, string>) =>
  contactKey({
    name: v.contactName,
    email: v.contactEmail.toLowerCase() || undefined,
    phone: (v.contactPhone && toE164(v.contactPhone)) || undefined,
  });
const same = (field: string, a: string, b: string) => (field === 'caseOfficerEmail' ? a.toLowerCase() === b.toLowerCase() : a === b);

/** Runs the tasks with at most `size` at once. */
async function runPool(tasks: Array<() => Promise<void>>, size: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, tasks.length)) }, lane));
}
