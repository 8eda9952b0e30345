import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { v4 as uuid } from 'uuid';
import { caseStreamId, ERASED, erasureStreamId, foldCase, personalDataErased, personalDataErasedFor } from '@send/domain';
import { EncryptingEventStore, SqliteDataKeyStore, SqliteEventStore, type EventStore } from '@send/event-store';
import { PERSONAL_DATA_SCHEMA } from '@send/platform/personal-data';
import { replayErasures } from '@send/scheduling';
import { runReplayErasuresCli } from './replay-erasures-cli';

/**
 * Replaying erasures after a restore (ADR 0017), on the embedded default's real stores: events and
 * keys in one SQLite file, read through the encrypting layer. Ann is erased; then the key table is
 * put back as a backup from before the erasure had it, which makes her data readable again; the
 * replay deletes her keys again, also on a case she had been unlinked from (no mark there: her
 * erasure's record lists the key), and nothing else: not Bob's on the same case, not the child's
 * name, not a key made for Ann's new request after the erasure.
 */
const SECRET = 'replay-erasures-spec-secret-0123456789abcdef';
const MARKER = 'ann-marker-7f3c';
const ANN = 'contact:ann@example.org';

let dir: string;
let path: string;
const open = (): EncryptingEventStore =>
  new EncryptingEventStore(new SqliteEventStore({ path }), new SqliteDataKeyStore({ path, secret: SECRET }), PERSONAL_DATA_SCHEMA, {
    ownsKeys: true,
  });

const at = () => new Date().toISOString();
const pause = () => new Promise((r) => setTimeout(r, 5));
const event = (type: string, data: Record<string, unknown>) => ({
  id: uuid(),
  type,
  data: { schemaVersion: 1, ...data },
  metadata: { correlationId: uuid(), actor: { id: 'manager-1', role: 'service_manager' } },
});
const submission = (name: string, email: string, message: string) =>
  event('ContactRequestSubmitted', {
    requestId: uuid(),
    reference: 'SEND-2026-000001',
    caseRef: 'C-1',
    requester: { role: 'parent', name, email, phone: '' },
    channel: 'portal',
    category: 'transport',
    priority: 'normal',
    subject: 'Bus',
    message,
    submittedAt: at(),
    due: { firstResponseAt: at(), resolutionAt: at() },
  });
const contact = (name: string, email: string) => ({ contactId: `email:${email}`, name, relationship: 'mother', email });

const annsRequest = 'contact-request-00000000-0000-4000-8000-000000000001';
const bobsRequest = 'contact-request-00000000-0000-4000-8000-000000000002';
const annsNewRequest = 'contact-request-00000000-0000-4000-8000-000000000003';
const theCase = caseStreamId('C-1');
const anEarlierCase = caseStreamId('C-2');

/** The key table's rows as a backup holds them, and that backup put back over the live table. */
const keyRows = (): Record<string, unknown>[] => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], Record<string, unknown>>('SELECT * FROM data_keys').all();
  } finally {
    db.close();
  }
};
const restoreKeys = (rows: Record<string, unknown>[]): void => {
  const db = new Database(path);
  try {
    // Without their seq: a key made since may have taken a deleted key's (SQLite reuses the largest rowid).
    const insert = db.prepare(
      'INSERT OR IGNORE INTO data_keys (key_id, subject_hash, subject_sealed, scope, wrapped_key, created_at) VALUES (@key_id, @subject_hash, @subject_sealed, @scope, @wrapped_key, @created_at)',
    );
    db.transaction(() => rows.forEach(({ seq: _seq, ...row }) => insert.run(row)))();
  } finally {
    db.close();
  }
};

/**
 * What a fresh process reads (no key cached) in the stored events themselves (a fold would show the
 * erasure whatever the keys): Ann's message, the names the case's contacts were linked with, its
 * child's name, the others' messages.
 */
async function reads(): Promise<{
  annsMessage: unknown;
  linked: unknown[];
  childName: unknown;
  onTheEarlierCase: unknown;
  bobsMessage: unknown;
  annsNewMessage: unknown;
}> {
  const store = open();
  try {
    const message = async (stream: string) => (await store.read(stream))[0].data['message'];
    const caseEvents = await store.read(theCase);
    return {
      annsMessage: await message(annsRequest),
      linked: caseEvents.filter((e) => e.type === 'CaseContactLinked').map((e) => (e.data['contact'] as { name: string }).name),
      childName: caseEvents[0].data['childName'],
      onTheEarlierCase: ((await store.read(anEarlierCase))[1].data['contact'] as { name: string }).name,
      bobsMessage: await message(bobsRequest),
      annsNewMessage: await message(annsNewRequest),
    };
  } finally {
    await store.close();
  }
}

async function cli(store: EventStore, dataKeys: SqliteDataKeyStore): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  const code = await runReplayErasuresCli({ NODE_ENV: 'test' }, { stdout, stderr: new PassThrough() }, async () => ({
    store,
    dataKeys,
    close: async () => undefined,
  }));
  return { code, out };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'replay-erasures-'));
  path = join(dir, 'events.db');
  const store = open();
  try {
    await store.append(annsRequest, [submission('Ann Able', 'ann@example.org', `Please call me ${MARKER}`)], {
      expectedRevision: 'no_stream',
    });
    await store.append(bobsRequest, [submission('Bob Baker', 'bob@example.org', 'Bob asks too')], { expectedRevision: 'no_stream' });
    await store.append(
      theCase,
      [
        event('CaseOpened', { caseRef: 'C-1', childName: 'Sam', teamId: 'north', caseOfficerId: 'officer-1', at: at() }),
        event('CaseContactLinked', { caseRef: 'C-1', contact: contact('Ann Able', 'ann@example.org'), at: at() }),
        event('CaseContactLinked', { caseRef: 'C-1', contact: contact('Bob Baker', 'bob@example.org'), at: at() }),
      ],
      { expectedRevision: 'no_stream' },
    );
    // A case Ann was a contact on, and no longer is.
    await store.append(
      anEarlierCase,
      [
        event('CaseOpened', { caseRef: 'C-2', childName: 'Kim', teamId: 'north', caseOfficerId: 'officer-1', at: at() }),
        event('CaseContactLinked', { caseRef: 'C-2', contact: contact('Ann Able', 'ann@example.org'), at: at() }),
        event('CaseContactUnlinked', { caseRef: 'C-2', contactId: 'email:ann@example.org', at: at() }),
      ],
      { expectedRevision: 'no_stream' },
    );
  } finally {
    await store.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('deletes again the keys a restored backup brought back, and only those; a second run deletes nothing', async () => {
  const backup = keyRows();
  await pause();

  // Ann's erasure, as the api's SubjectErasureService makes it: her streams marked (not the case she
  // left: she is no contact of it now), then her keys deleted, then the record listing them.
  const store = open();
  const by = { erasureId: uuid(), reason: 'erasure' as const, by: 'manager-1', at: at() };
  const caseMark = personalDataErasedFor(ANN, { kind: 'case', state: foldCase(await store.read(theCase)) }, by)!;
  expect(caseMark.data.contacts).toEqual([0]);
  expect(personalDataErasedFor(ANN, { kind: 'case', state: foldCase(await store.read(anEarlierCase)) }, by)).toBeNull();
  await store.append(theCase, [{ id: uuid(), ...caseMark, metadata: {} }], { expectedRevision: 'any' });
  await store.append(annsRequest, [{ id: uuid(), ...personalDataErased(by), metadata: {} }], { expectedRevision: 'any' });
  const keyIds = await store.keys.keyIdsOf(ANN);
  expect(keyIds).toHaveLength(3);
  await store.keys.eraseSubject(ANN);
  await store.keys.eraseScope(annsRequest);
  const record = {
    erasureId: by.erasureId,
    subjectHash: 'h',
    reason: 'Asked',
    forced: false,
    streamHashes: [],
    keyIds,
    by: by.by,
    at: by.at,
  };
  await store.append(
    erasureStreamId('h'),
    [{ id: uuid(), type: 'DataSubjectErased', data: { schemaVersion: 1, ...record }, metadata: {} }],
    {
      expectedRevision: 'any',
    },
  );
  await pause();
  // Afterwards Ann writes again: a key made after the erasure, for data it never erased.
  await store.append(annsNewRequest, [submission('Ann Able', 'ann@example.org', 'A new question')], { expectedRevision: 'no_stream' });
  await store.close();

  const erased = await reads();
  expect(erased.annsMessage).toBe(ERASED);
  expect(erased.linked).toEqual([ERASED, 'Bob Baker']);
  expect(erased.onTheEarlierCase).toBe(ERASED);

  // The key backup from before the erasure restored: Ann's data reads again. This is what the replay is for.
  restoreKeys(backup);
  const resurrected = await reads();
  expect(resurrected.annsMessage).toContain(MARKER);
  expect(resurrected.linked).toEqual(['Ann Able', 'Bob Baker']);
  expect(resurrected.onTheEarlierCase).toBe('Ann Able');

  const replaying = open();
  try {
    const progress: number[] = [];
    const report = await replayErasures({ store: replaying, dataKeys: replaying.keys, onProgress: ({ done }) => progress.push(done) });
    // The two marks delete her request's and her case's keys; the record the rest (the earlier case's).
    expect(report).toMatchObject({ marks: 2, records: 1, keysDeleted: 3 });
    expect(progress).toEqual([0, 1, 2, 3]);
  } finally {
    await replaying.close();
  }

  const after = await reads();
  expect(after.annsMessage).toBe(ERASED);
  expect(after.linked).toEqual([ERASED, 'Bob Baker']);
  expect(after.childName).toBe('Sam');
  expect(after.onTheEarlierCase).toBe(ERASED);
  expect(after.bobsMessage).toBe('Bob asks too');
  expect(after.annsNewMessage).toBe('A new question');
  // No copy of the erased key's bytes left in the file or its WAL (the store checkpoints after deleting).
  const annsKey = backup.find((r) => r.scope === annsRequest)!.wrapped_key as Buffer;
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) expect(readFileSync(file).indexOf(annsKey)).toBe(-1);

  // Again, through the CLI: idempotent, and it says so.
  const again = open();
  try {
    const { code, out } = await cli(again, again.keys.inner as SqliteDataKeyStore);
    expect(code).toBe(0);
    expect(out).toMatch(/^Erasures replayed: 2 streams marked erased, 1 erasure record, 0 data keys deleted again, in /);
    expect(out).not.toMatch(/rebuild the read models/);
  } finally {
    await again.close();
  }
});
