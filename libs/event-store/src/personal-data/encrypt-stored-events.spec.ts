import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { v4 as uuid } from 'uuid';
import { ERASED, personalFieldsOf } from '@send/domain';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import type { EventData, EventStore } from '../event-store.port';
import { TEST_DATA_KEYS_SECRET, testPostgres } from '../testing/event-stores';
import { EncryptingEventStore, type PersonalDataSchema } from './encrypting-event-store';
import { SqliteDataKeyStore } from './sqlite-data-key-store';
import { PostgresDataKeyStore } from './postgres-data-key-store';
import { PostgresEventsRewriter, SqliteEventsRewriter, encryptStoredEvents, type StoredEventsRewriter } from './encrypt-stored-events';

const schema: PersonalDataSchema = { fieldsOf: personalFieldsOf, erased: ERASED };
const submitted = (i: number): EventData => ({
  id: uuid(),
  type: 'ContactRequestSubmitted',
  data: {
    schemaVersion: 1,
    requestId: `r${i}`,
    caseRef: 'C-1',
    requester: { role: 'parent', name: `Parent ${i}`, email: `parent${i}@example.org` },
    subject: 's',
    message: `MARKER-${i}`,
  },
});
const responded = (i: number): EventData => ({
  id: uuid(),
  type: 'OfficerResponded',
  data: { schemaVersion: 1, responseId: uuid(), officerId: 'o-1', channel: 'phone', summary: `Summary ${i}`, at: 'x' },
});
const linkThenUnlink: EventData[] = [
  {
    id: uuid(),
    type: 'CaseContactLinked',
    data: {
      schemaVersion: 1,
      caseRef: 'C-1',
      contact: { contactId: 'email:ann@example.org', name: 'Ann', relationship: 'mother', email: 'ann@example.org', userId: 'u-ann' },
      at: 'x',
    },
  },
  { id: uuid(), type: 'CaseContactUnlinked', data: { schemaVersion: 1, caseRef: 'C-1', contactId: 'email:ann@example.org', at: 'y' } },
];

/** Plain events as an installation wrote them before encryption: 10 requests of two events, a case. */
async function writePlain(store: EventStore): Promise<Map<string, EventData[]>> {
  const written = new Map<string, EventData[]>();
  for (let i = 0; i < 10; i++) written.set(`contact-request-${i}`, [submitted(i), responded(i)]);
  written.set('case-C-1', linkThenUnlink);
  for (const [stream, events] of written) await store.append(stream, events, { expectedRevision: 'no_stream' });
  return written;
}

/** Fails the write of page `n` (1-based) once: an interrupted run. */
function interruptedAt(n: number, rewriter: StoredEventsRewriter): StoredEventsRewriter {
  let writes = 0;
  return {
    checkpoint: () => rewriter.checkpoint(),
    countAfter: (after) => rewriter.countAfter(after),
    page: (after, limit) => rewriter.page(after, limit),
    write: async (updates, checkpoint) => {
      if (++writes === n) throw new Error('power cut');
      return rewriter.write(updates, checkpoint);
    },
    close: () => rewriter.close(),
  };
}

async function expectAllEncryptedAndReadable(
  store: EncryptingEventStore,
  written: Map<string, EventData[]>,
  raw: () => Promise<unknown[]>,
): Promise<void> {
  const rows = JSON.stringify(await raw());
  expect(rows).not.toMatch(/MARKER-|Summary \d|parent\d@example\.org|ann@example\.org/);
  for (const [stream, events] of written)
    expect((await store.read(stream)).map((e) => [e.id, e.data])).toEqual(events.map((e) => [e.id, e.data]));
  // The unlink found the subject of the link in the stream: erasing Ann erases both.
  await store.keys.eraseSubject('u-ann');
  const caseEvents = await store.read('case-C-1');
  expect([(caseEvents[0].data['contact'] as { contactId: string }).contactId, caseEvents[1].data['contactId']]).toEqual([ERASED, ERASED]);
}

describe('encryptStoredEvents (npm run encrypt-events)', () => {
  it('SQLite: resumes after an interruption from its checkpoint, then has nothing left to do; a trigger forbidding updates stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'encrypt-stored-'));
    const path = join(dir, 'events.db');
    const plain = new SqliteEventStore({ path });
    const written = await writePlain(plain);
    await plain.close();
    // An installation's own guard: events are never updated. The migration passes it inside its transactions.
    const guard = new Database(path);
    guard.exec(`CREATE TRIGGER no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are immutable'); END`);
    guard.close();
    const store = new EncryptingEventStore(
      new SqliteEventStore({ path }),
      new SqliteDataKeyStore({ path, secret: TEST_DATA_KEYS_SECRET }),
      schema,
      { ownsKeys: true },
    );
    const rewriter = new SqliteEventsRewriter(path);
    try {
      await expect(encryptStoredEvents({ rewriter: interruptedAt(2, rewriter), store, pageSize: 5 })).rejects.toThrow('power cut');
      expect(await rewriter.checkpoint()).toBe(5n);
      const resumed = await encryptStoredEvents({ rewriter, store, pageSize: 5 });
      expect(resumed).toMatchObject({ resumedFrom: 5n, events: 17, encrypted: 17 });
      expect(await encryptStoredEvents({ rewriter, store, pageSize: 5 })).toMatchObject({ events: 0, encrypted: 0 });
      const raw = () => {
        const db = new Database(path, { readonly: true });
        const rows = db.prepare('SELECT position, id, stream_id, revision, type, data FROM events ORDER BY position').all();
        db.close();
        return Promise.resolve(rows);
      };
      expect(((await raw()) as { position: number }[]).map((r) => r.position)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      const db = new Database(path);
      expect(() => db.exec('UPDATE events SET type = type')).toThrow(/immutable/);
      db.close();
      await expectAllEncryptedAndReadable(store, written, raw);
    } finally {
      await rewriter.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const postgres = testPostgres();
  ('skipped' in postgres ? it.skip : it)(
    'PostgreSQL: encrypts in place, a user trigger forbidding updates notwithstanding, ids and positions unchanged',
    async () => {
      if ('skipped' in postgres) return;
      const url = await postgres.url();
      const suffix = uuid().replace(/-/g, '').slice(0, 12);
      const eventsSchema = `send_test_${suffix}`;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PostgresEventStore } = require('../postgres/postgres-event-store') as typeof import('../postgres/postgres-event-store');
      const plain = new PostgresEventStore({ url, schema: eventsSchema });
      const written = await writePlain(plain);
      await plain.close();
      const sql = new Client({ connectionString: url });
      await sql.connect();
      // An installation's own guard: events are never updated. The migration passes it inside its transactions.
      await sql.query(
        `CREATE FUNCTION "${eventsSchema}".no_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events are immutable'; END $$`,
      );
      await sql.query(
        `CREATE TRIGGER no_update BEFORE UPDATE ON "${eventsSchema}".events FOR EACH ROW EXECUTE FUNCTION "${eventsSchema}".no_update()`,
      );
      const before = (await sql.query(`SELECT position, id, revision FROM "${eventsSchema}".events ORDER BY position`)).rows;
      const store = new EncryptingEventStore(
        new PostgresEventStore({ url, schema: eventsSchema }),
        new PostgresDataKeyStore({ url, schema: `send_test_keys_${suffix}`, secret: TEST_DATA_KEYS_SECRET }),
        schema,
        { ownsKeys: true },
      );
      const rewriter = new PostgresEventsRewriter(url, eventsSchema);
      try {
        await expect(encryptStoredEvents({ rewriter: interruptedAt(3, rewriter), store, pageSize: 4 })).rejects.toThrow('power cut');
        expect(await encryptStoredEvents({ rewriter, store, pageSize: 4 })).toMatchObject({ events: 14, encrypted: 14 });
        const raw = async () =>
          (await sql.query(`SELECT position, id, revision, type, data FROM "${eventsSchema}".events ORDER BY position`)).rows;
        expect((await raw()).map(({ position, id, revision }) => ({ position, id, revision }))).toEqual(before);
        await expect(sql.query(`UPDATE "${eventsSchema}".events SET type = type`)).rejects.toThrow(/immutable/);
        await expectAllEncryptedAndReadable(store, written, raw);
      } finally {
        await rewriter.close();
        await store.close();
        await sql.query(`DROP SCHEMA "${eventsSchema}" CASCADE`);
        await sql.query(`DROP SCHEMA IF EXISTS "send_test_keys_${suffix}" CASCADE`);
        await sql.end();
        await postgres.stop();
      }
    },
  );
});
