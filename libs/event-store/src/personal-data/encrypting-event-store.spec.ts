import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v4 as uuid } from 'uuid';
import { ERASED, personalFieldsOf } from '@send/domain';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import type { EventData, RecordedEvent } from '../event-store.port';
import { readAllToHead } from '../subscription/read-all-to-head';
import { TEST_DATA_KEYS_SECRET } from '../testing/event-stores';
import { EncryptingEventStore, type PersonalDataSchema } from './encrypting-event-store';
import { SqliteDataKeyStore } from './sqlite-data-key-store';
import { CachedDataKeyStore } from './cached-data-key-store';
import { PersonalDataUnreadable, encryptField } from './data-key-crypto';

const schema: PersonalDataSchema = { fieldsOf: personalFieldsOf, erased: ERASED };
const MARKER = 'MARKER-7f3a9c-our-son-cannot-sleep';

describe('EncryptingEventStore (SQLite, the embedded default)', () => {
  let dir: string;
  let path: string;
  let store: EncryptingEventStore;
  let keys: CachedDataKeyStore;
  const open = () =>
    new EncryptingEventStore(new SqliteEventStore({ path }), new SqliteDataKeyStore({ path, secret: TEST_DATA_KEYS_SECRET }), schema, {
      ownsKeys: true,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'encrypting-store-'));
    path = join(dir, 'events.db');
    store = open();
    keys = store.keys;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ev = (type: string, data: Record<string, unknown>): EventData => ({ id: uuid(), type, data: { schemaVersion: 1, ...data } });
  const submitted = (requestId: string, requester: Record<string, unknown>, message: string) =>
    ev('ContactRequestSubmitted', {
      requestId,
      reference: 'SEND-2026-000001',
      caseRef: 'C-100',
      requester,
      channel: 'portal',
      category: 'general',
      priority: 'normal',
      subject: 'Sleep',
      message,
      submittedAt: '2026-12-01T10:00:00.000Z',
      due: { firstResponseAt: '2026-12-03T10:00:00.000Z', resolutionAt: '2026-12-15T10:00:00.000Z' },
    });
  const ann = { role: 'parent', name: 'Ann Example', email: 'ann.example@example.org', phone: '+447700900101' };
  const bob = { role: 'parent', name: 'Bob Sample', email: 'bob.sample@example.org' };

  /** Every byte SQLite has written for the events and keys: the file and its WAL. */
  const onDisk = () => Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]);

  it('stores personal fields only as envelopes: the SQLite file and its WAL hold no marker, name or email', async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', ann, `Please help: ${MARKER}`)], { expectedRevision: 'no_stream' });
    await store.append(
      request,
      [
        ev('OfficerResponded', {
          responseId: 'x',
          officerId: 'o-1',
          channel: 'phone',
          summary: `Called back about ${MARKER}`,
          at: '2026-12-01T11:00:00.000Z',
        }),
      ],
      {
        expectedRevision: 0n,
      },
    );
    for (const secret of [MARKER, 'Ann Example', 'ann.example@example.org', '+447700900101']) expect(onDisk().includes(secret)).toBe(false);
    // The raw row: one envelope for the event's personal fields (their paths in the clear), '' where
    // each was, the ids and times in the clear.
    const raw = new Database(path, { readonly: true });
    const row = raw.prepare('SELECT data FROM events WHERE stream_id = ? AND revision = 0').get(request) as { data: string };
    raw.close();
    const stored = JSON.parse(row.data);
    expect(stored.$pd).toMatch(
      /^pd2\.[A-Za-z0-9_-]{22}\.requester\/name,requester\/email,requester\/phone,subject,message\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/,
    );
    expect(stored.message).toBe('');
    expect(stored.requester).toMatchObject({ name: '', email: '' });
    expect(stored).toMatchObject({
      requestId: 'r1',
      caseRef: 'C-100',
      submittedAt: '2026-12-01T10:00:00.000Z',
      requester: { role: 'parent' },
    });
  });

  it('reads, subscribes, batches and returns appended events decrypted, as they were given', async () => {
    const request = `contact-request-${uuid()}`;
    const events = [submitted('r1', ann, MARKER)];
    const result = await store.append(request, events, { expectedRevision: 'no_stream' });
    expect(result.events?.[0].data).toEqual(events[0].data);
    expect((await store.read(request))[0].data).toEqual(events[0].data);
    // A retry's no-op gives back what is stored, decrypted.
    const retry = await store.append(request, events, { expectedRevision: 'any' });
    expect(retry.events?.[0].data).toEqual(events[0].data);

    // Another process, keys not cached: the same.
    const other = open();
    try {
      const seen: RecordedEvent[] = [];
      await readAllToHead(other, (e) => void seen.push(e), { from: 'start' });
      expect(seen.map((e) => e.data)).toEqual([events[0].data]);
      const sub = other.subscribeToAll({ from: 'start' });
      const batch = await sub.nextBatch!(10);
      await sub.close();
      expect(batch?.map((e) => e.data)).toEqual([events[0].data]);
    } finally {
      await other.close();
    }
  });

  it("a cold reader iterating a subscription fetches each page's keys in one query, and stops where it is told", async () => {
    const requests = Array.from({ length: 6 }, () => `contact-request-${uuid()}`);
    for (const [i, request] of requests.entries())
      await store.append(request, [submitted(`r${i}`, { ...ann, email: `parent${i}@example.org` }, `${MARKER}-${i}`)], {
        expectedRevision: 'no_stream',
      });
    const inner = new SqliteDataKeyStore({ path, secret: TEST_DATA_KEYS_SECRET });
    const asked = { one: 0, many: 0 };
    const counting = Object.assign(Object.create(inner) as SqliteDataKeyStore, {
      keyById: (id: string) => (asked.one++, inner.keyById(id)),
      keysById: (ids: readonly string[]) => (asked.many++, inner.keysById(ids)),
    });
    const cold = new EncryptingEventStore(new SqliteEventStore({ path }), counting, schema, { ownsKeys: true });
    try {
      const seen: string[] = [];
      await readAllToHead(cold, (e) => void seen.push(e.data['message'] as string));
      expect(seen).toEqual(requests.map((_, i) => `${MARKER}-${i}`));
      expect(asked).toEqual({ one: 0, many: 1 });

      // Ending early closes it; closing it stops the rest of a page being handed on.
      const sub = cold.subscribeToAll({ from: 'start' });
      const firstTwo: unknown[] = [];
      for await (const e of sub) if (firstTwo.push(e.data['message']) === 2) break;
      expect(firstTwo).toEqual([`${MARKER}-0`, `${MARKER}-1`]);
      const closing = cold.subscribeToAll({ from: 'start' });
      const iterator = closing[Symbol.asyncIterator]();
      expect((await iterator.next()).value.data['message']).toBe(`${MARKER}-0`);
      await closing.close();
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      // Iterated or batched, never both (as the adapters).
      const batched = cold.subscribeToAll({ from: 'start' });
      expect((await batched.nextBatch!(2))?.length).toBe(2);
      expect(() => batched[Symbol.asyncIterator]()).toThrow(/either iterated or read in batches/);
      await batched.close();
    } finally {
      await cold.close();
    }
  });

  it("after eraseSubject reads ERASED in exactly that person's fields, everything else intact, the other person's data intact", async () => {
    const annRequest = `contact-request-${uuid()}`;
    const bobRequest = `contact-request-${uuid()}`;
    await store.append(annRequest, [submitted('r-ann', ann, `Ann: ${MARKER}`)], { expectedRevision: 'no_stream' });
    await store.append(
      annRequest,
      [ev('RequestResolved', { by: 'o-1', outcome: 'Sorted the sleep clinic', at: '2026-12-02T10:00:00.000Z' })],
      { expectedRevision: 0n },
    );
    await store.append(bobRequest, [submitted('r-bob', bob, 'Bob asks about transport')], { expectedRevision: 'no_stream' });
    const caseStream = `case-C-100`;
    await store.append(
      caseStream,
      [
        ev('CaseOpened', {
          caseRef: 'C-100',
          childName: 'Sam Example',
          teamId: 't-1',
          caseOfficerId: 'o-1',
          at: '2026-11-01T10:00:00.000Z',
        }),
        ev('CaseContactLinked', {
          caseRef: 'C-100',
          contact: {
            contactId: 'email:ann.example@example.org',
            name: 'Ann Example',
            relationship: 'mother',
            email: 'ann.example@example.org',
            phone: '+447700900101',
          },
          at: '2026-11-01T10:00:00.000Z',
        }),
        ev('CaseContactLinked', {
          caseRef: 'C-100',
          contact: {
            contactId: 'email:bob.sample@example.org',
            name: 'Bob Sample',
            relationship: 'father',
            email: 'bob.sample@example.org',
          },
          at: '2026-11-01T10:00:00.000Z',
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const annBefore = await store.read(annRequest);
    const bobBefore = await store.read(bobRequest);
    const caseBefore = await store.read(caseStream);

    // Ann is known by her phone (dataSubjectOf: account, else phone, else email).
    expect(await keys.scopesOf('contact:+447700900101')).toEqual([annRequest, caseStream]);
    expect(await keys.eraseSubject('contact:+447700900101')).toEqual([annRequest, caseStream]);

    const annAfter = await store.read(annRequest);
    expect(annAfter[0].data).toEqual({
      ...annBefore[0].data,
      requester: { role: 'parent', name: ERASED, email: ERASED, phone: ERASED },
      subject: ERASED,
      message: ERASED,
    });
    expect(annAfter[1].data).toEqual({ ...annBefore[1].data, outcome: ERASED });
    expect(annAfter.map((e) => [e.id, e.type, e.revision, e.position, e.recordedAt])).toEqual(
      annBefore.map((e) => [e.id, e.type, e.revision, e.position, e.recordedAt]),
    );
    expect(await store.read(bobRequest)).toEqual(bobBefore);
    const caseAfter = await store.read(caseStream);
    expect(caseAfter[0]).toEqual(caseBefore[0]);
    expect(caseAfter[1].data).toEqual({
      ...caseBefore[1].data,
      contact: { contactId: ERASED, name: ERASED, relationship: 'mother', email: ERASED, phone: ERASED },
    });
    expect(caseAfter[2]).toEqual(caseBefore[2]);
  });

  it('leaves no copy of an erased key in the SQLite file or its WAL (secure_delete, checkpoint)', async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', bob, MARKER)], { expectedRevision: 'no_stream' });
    const raw = new Database(path, { readonly: true });
    const { wrapped_key } = raw.prepare('SELECT wrapped_key FROM data_keys').get() as { wrapped_key: Buffer };
    raw.close();
    expect(onDisk().includes(wrapped_key)).toBe(true);
    await keys.eraseSubject('contact:bob.sample@example.org');
    expect(onDisk().includes(wrapped_key)).toBe(false);
    expect((await store.read(request))[0].data['message']).toBe(ERASED);
  });

  it('an owner-less field (a summary) goes under the stream owner: erasing the requester erases it', async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', bob, 'hello')], { expectedRevision: 'no_stream' });
    await store.append(
      request,
      [
        ev('OfficerResponded', {
          responseId: 'x',
          officerId: 'o-1',
          channel: 'phone',
          summary: 'Talked it through',
          at: '2026-12-01T11:00:00.000Z',
        }),
      ],
      { expectedRevision: 0n },
    );
    expect(await keys.scopesOf('contact:bob.sample@example.org')).toEqual([request]);
    await keys.eraseScope(request);
    expect((await store.read(request))[1].data['summary']).toBe(ERASED);
  });

  it("an unlinked contact's contactId goes under the subject they were linked as", async () => {
    const caseStream = `case-C-200`;
    await store.append(
      caseStream,
      [
        ev('CaseContactLinked', {
          caseRef: 'C-200',
          contact: {
            contactId: 'email:bob.sample@example.org',
            name: 'Bob Sample',
            relationship: 'father',
            email: 'bob.sample@example.org',
            userId: 'u-bob',
          },
          at: 'x',
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    await store.append(caseStream, [ev('CaseContactUnlinked', { caseRef: 'C-200', contactId: 'email:bob.sample@example.org', at: 'y' })], {
      expectedRevision: 0n,
    });
    await keys.eraseSubject('u-bob');
    expect(
      (await store.read(caseStream)).map(
        (e) => (e.data['contact'] as { contactId?: string } | undefined)?.contactId ?? e.data['contactId'],
      ),
    ).toEqual([ERASED, ERASED]);
  });

  it('reads text stored before encryption as it is, and refuses a corrupt envelope clearly', async () => {
    const plain = new SqliteEventStore({ path });
    const request = `contact-request-${uuid()}`;
    await plain.append(request, [submitted('r1', bob, 'written before encryption')], { expectedRevision: 'no_stream' });
    await plain.append(`contact-request-${uuid()}`, [submitted('r2', bob, 'pd1.not-an-envelope')], { expectedRevision: 'no_stream' });
    await plain.close();
    expect((await store.read(request))[0].data['message']).toBe('written before encryption');
    const error = await readAllToHead(store, () => undefined, { from: 'start' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersonalDataUnreadable);
    expect((error as Error).message).toMatch(/stream contact-request-.*ContactRequestSubmitted.*not a valid pd1 envelope/);
  });

  it('refuses an envelope its key does not open (tampered), naming the stream and event', async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', bob, 'hello')], { expectedRevision: 'no_stream' });
    const raw = new Database(path);
    const row = raw.prepare('SELECT data FROM events WHERE stream_id = ?').get(request) as { data: string };
    const data = JSON.parse(row.data);
    const tail = data.$pd.slice(-4);
    data.$pd = data.$pd.slice(0, -4) + (tail === 'AAAA' ? 'BBBB' : 'AAAA');
    raw.prepare('UPDATE events SET data = ? WHERE stream_id = ?').run(JSON.stringify(data), request);
    raw.close();
    await expect(store.read(request)).rejects.toThrow(/does not decrypt with that key/);
  });
  it("an erased event's sealed fields read ERASED where they were; a field it never had stays absent", async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', bob, MARKER)], { expectedRevision: 'no_stream' });
    await keys.eraseSubject('contact:bob.sample@example.org');
    const [event] = await store.read(request);
    expect(event.data).toEqual({ ...submitted('r1', { role: 'parent', name: ERASED, email: ERASED }, ERASED).data, subject: ERASED });
    expect(event.data).not.toHaveProperty('$pd');
    expect((event.data['requester'] as Record<string, unknown>)['phone']).toBeUndefined();
  });

  it('reads per-field pd1 envelopes (the first format, and stored events encrypted by it) and leaves them as they are', async () => {
    const request = `contact-request-${uuid()}`;
    const { keyId, key } = await keys.keyFor('contact:ann.example@example.org', request);
    const plain = submitted('r1', ann, MARKER);
    const sealed = { ...plain, data: { ...plain.data, message: encryptField(keyId, key, MARKER), subject: encryptField(keyId, key, 'Sleep') } };
    const raw = new SqliteEventStore({ path });
    await raw.append(request, [sealed], { expectedRevision: 'no_stream' });
    await raw.close();
    expect((await store.read(request))[0].data).toEqual(plain.data);
    // Encrypting it again (npm run encrypt-events) seals only what is still plain: the requester's details.
    const again = await store.encryptData(request, 'ContactRequestSubmitted', sealed.data, async () => []);
    expect(again).toMatchObject({ message: sealed.data.message, subject: sealed.data.subject, requester: { name: '', email: '', phone: '' } });
    expect(again['$pd']).toMatch(/^pd2\.[^.]+\.requester\/name,requester\/email,requester\/phone\./);
    expect(await store.encryptData(request, 'ContactRequestSubmitted', again, async () => [])).toBe(again);
    await keys.eraseSubject('contact:ann.example@example.org');
    expect((await store.read(request))[0].data).toMatchObject({ message: ERASED, subject: ERASED, requester: { name: 'Ann Example' } });
  });

  it("one pd2 envelope per event: a second subject's fields get pd1 envelopes of their own, erased apart", async () => {
    const twoPeople: PersonalDataSchema = {
      erased: ERASED,
      fieldsOf: () => [
        { path: ['a', 'name'], subject: { kind: 'subject', subjectId: 'person-a' } },
        { path: ['b'], subject: { kind: 'subject', subjectId: 'person-b' } },
        { path: ['a', 'note'], subject: { kind: 'subject', subjectId: 'person-a' } },
      ],
    };
    const both = new EncryptingEventStore(new SqliteEventStore({ path }), keys, twoPeople);
    const stream = `thing-${uuid()}`;
    const data = { schemaVersion: 1, a: { name: 'Alice', note: 'Alice note', id: 7 }, b: 'Bert' };
    await both.append(stream, [{ id: uuid(), type: 'Anything', data }], { expectedRevision: 'no_stream' });
    const raw = new SqliteEventStore({ path });
    const stored = (await raw.read(stream))[0].data;
    await raw.close();
    expect(stored).toMatchObject({ a: { name: '', note: '', id: 7 }, b: expect.stringMatching(/^pd1\./), $pd: expect.stringMatching(/^pd2\.[^.]+\.a\/name,a\/note\./) });
    expect((await both.read(stream))[0].data).toEqual(data);
    await keys.eraseSubject('person-a');
    expect((await both.read(stream))[0].data).toEqual({ schemaVersion: 1, a: { name: ERASED, note: ERASED, id: 7 }, b: 'Bert' });
    await keys.eraseSubject('person-b');
    expect((await both.read(stream))[0].data).toEqual({ schemaVersion: 1, a: { name: ERASED, note: ERASED, id: 7 }, b: ERASED });
  });

  it("refuses a pd2 envelope whose field list was altered (the list is authenticated with the data)", async () => {
    const request = `contact-request-${uuid()}`;
    await store.append(request, [submitted('r1', bob, 'hello')], { expectedRevision: 'no_stream' });
    const raw = new Database(path);
    const row = raw.prepare('SELECT data FROM events WHERE stream_id = ?').get(request) as { data: string };
    const data = JSON.parse(row.data);
    data.$pd = data.$pd.replace('requester/name,requester/email', 'requester/email,requester/name');
    raw.prepare('UPDATE events SET data = ? WHERE stream_id = ?').run(JSON.stringify(data), request);
    raw.close();
    await expect(store.read(request)).rejects.toThrow(/does not decrypt with that key/);
  });
  describe("a new stream's keys are stored in the transaction of its first events (no transaction of their own)", () => {
    /** The key rows of one stream, and the key id its events' pd2 envelopes name. */
    const keyRows = (scope: string) => {
      const raw = new Database(path, { readonly: true });
      try {
        return raw.prepare('SELECT key_id FROM data_keys WHERE scope = ? ORDER BY seq').all(scope).map((r) => (r as { key_id: string }).key_id);
      } finally {
        raw.close();
      }
    };
    const envelopeKeyIds = (stream: string) => {
      const raw = new Database(path, { readonly: true });
      try {
        return raw
          .prepare('SELECT data FROM events WHERE stream_id = ? ORDER BY revision')
          .all(stream)
          .map((r) => (JSON.parse((r as { data: string }).data).$pd as string).split('.')[1]);
      } finally {
        raw.close();
      }
    };
    afterEach(() => jest.restoreAllMocks());
    /** An officer's reply: its summary has no subject of its own, so it goes under the stream owner's key. */
    const calledBack = () =>
      ev('OfficerResponded', { responseId: 'x', officerId: 'o-1', channel: 'phone', summary: 'Called back', at: '2026-12-01T11:00:00.000Z' });

    it.each(['thread', 'inline'] as const)('with the %s writer: one key row, the one the events name; a refused append stores none', async (writer) => {
      await store.close();
      store = new EncryptingEventStore(
        new SqliteEventStore({ path, writer }),
        new SqliteDataKeyStore({ path, secret: TEST_DATA_KEYS_SECRET }),
        schema,
        { ownsKeys: true },
      );
      const ownTransaction = jest.spyOn(SqliteDataKeyStore.prototype, 'keyFor');
      const request = `contact-request-${uuid()}`;
      const first = submitted('r1', ann, MARKER);
      await store.append(request, [first], { expectedRevision: 'no_stream' });
      expect(ownTransaction).not.toHaveBeenCalled();
      expect(keyRows(request)).toHaveLength(1);
      expect(envelopeKeyIds(request)).toEqual(keyRows(request));
      // The stream's owner is known without a query: a summary goes under Ann's key.
      await store.append(
        request,
        [calledBack()],
        { expectedRevision: 0n },
      );
      expect(envelopeKeyIds(request)).toEqual([keyRows(request)[0], keyRows(request)[0]]);
      const cold = open();
      try {
        expect((await cold.read(request)).map((e) => e.data['message'] ?? e.data['summary'])).toEqual([MARKER, 'Called back']);
      } finally {
        await cold.close();
      }

      // Refused (an id stored in another stream): neither its events nor its key are stored.
      const refused = `contact-request-${uuid()}`;
      await expect(store.append(refused, [{ ...submitted('r2', bob, 'x'), id: first.id }], { expectedRevision: 'no_stream' })).rejects.toThrow(
        /already stored/,
      );
      expect(keyRows(refused)).toEqual([]);
    });

    it('a stream whose scope already has a key (made for an append that failed) is encrypted under that key', async () => {
      const request = `contact-request-${uuid()}`;
      const earlier = await keys.keyFor('contact:bob.sample@example.org', request);
      keys.clear();
      await store.append(request, [submitted('r1', bob, MARKER)], { expectedRevision: 'no_stream' });
      expect(keyRows(request)).toEqual([earlier.keyId]);
      expect(envelopeKeyIds(request)).toEqual([earlier.keyId]);
      expect((await store.read(request))[0].data['message']).toBe(MARKER);
    });

    it('a retried first append stores no second key, and the key it made is not used later', async () => {
      const request = `contact-request-${uuid()}`;
      const first = submitted('r1', ann, MARKER);
      await store.append(request, [first], { expectedRevision: 'no_stream' });
      const retried = await store.append(request, [first], { expectedRevision: 'no_stream' });
      expect(retried.events![0].data).toEqual(first.data);
      expect(keyRows(request)).toHaveLength(1);
      await store.append(
        request,
        [calledBack()],
        { expectedRevision: 0n },
      );
      expect(envelopeKeyIds(request)).toEqual([keyRows(request)[0], keyRows(request)[0]]);
      const cold = open();
      try {
        expect((await cold.read(request))[1].data['summary']).toBe('Called back');
      } finally {
        await cold.close();
      }
    });
  });
});
