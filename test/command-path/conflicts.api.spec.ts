/**
 * API.md: a command answers 409 (problem+json) on a concurrency conflict that its retries could not
 * settle, and records nothing. Two writers racing on one request end each command in a success (maybe
 * after a retry) or that 409, and never lose an event: everything either reported done is in the
 * stream, once, and nothing else is.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { v4 as uuid } from 'uuid';
import { streamIdFor, userIdFor } from '@send/domain';
import { WrongExpectedRevision, type EventStore } from '@send/event-store';
import { APP_CONFIG, EVENT_STORE, type AppConfig } from '@send/platform';
import { inProcessApi, type InProcessApi } from '../support/in-process-api';

let api: InProcessApi;
let store: EventStore;
let parent: { authorization: string };

const submit = async () => {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/requests',
    headers: parent,
    payload: { category: 'transport', subject: 'Transport', message: 'No taxi this week.' },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};
const attempt = (requestId: string, key = uuid()) =>
  api.app.inject({
    method: 'POST',
    url: `/api/requests/${requestId}/attempts`,
    headers: { ...parent, 'idempotency-key': key },
    payload: { channel: 'phone' },
  });

beforeAll(async () => {
  api = await inProcessApi({ DEMO: 'true', DEMO_DATA: 'false' });
  store = api.app.get<EventStore>(EVENT_STORE);
  parent = { authorization: `Bearer ${await api.token({ id: userIdFor('parent@example.org'), role: 'parent' })}` };
}, 60_000);

afterAll(() => api?.close());

describe('a conflict the retries cannot settle', () => {
  it('answers 409 problem+json after the retries, with nothing appended', async () => {
    const requestId = await submit();
    const before = await store.read(streamIdFor(requestId));
    // The store as it is when another writer always gets in first: every append finds a newer revision.
    const append = store.append;
    const tries: unknown[] = [];
    store.append = async (stream, events, options) => {
      if (stream !== streamIdFor(requestId)) return append.call(store, stream, events, options);
      tries.push(options?.expectedRevision);
      throw new WrongExpectedRevision(stream, options?.expectedRevision ?? 'any', BigInt(before.length));
    };
    let res;
    try {
      res = await attempt(requestId);
    } finally {
      store.append = append;
    }

    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: 'https://send-case-comms.example/problems/concurrency-conflict',
      title: 'Conflict',
      status: 409,
    });
    expect(tries).toHaveLength(4); // the first try and DeciderCommandHandler's 3 retries
    expect(await store.read(streamIdFor(requestId))).toEqual(before);
    // Nothing half-done either: the request takes the same command once the other writer lets it.
    const again = await attempt(requestId);
    expect(again.statusCode).toBe(201);
    expect((await store.read(streamIdFor(requestId))).map((e) => e.type)).toEqual([...before.map((e) => e.type), 'ContactAttemptRecorded']);
  });
});

describe('two api processes racing on one request', () => {
  it('end each command in a success (retried if need be) or a 409, and lose no event', async () => {
    const requestId = await submit();
    const path = api.app.get<AppConfig>(APP_CONFIG).SQLITE_PATH;
    // Count the retries this api makes: proof the two really raced on the stream.
    const append = store.append;
    let conflicts = 0;
    store.append = async (...args) => {
      try {
        return await append.apply(store, args);
      } catch (error) {
        if (error instanceof WrongExpectedRevision) conflicts += 1;
        throw error;
      }
    };
    const replies: Array<{ status: number; attemptId?: string }> = [];
    try {
      // The other api process (its own handler, its own kept states) records attempts on the same request...
      let otherDone = false;
      const other = promisify(execFile)(
        process.execPath,
        [
          '-r',
          join(__dirname, '../../libs/event-store/src/testing/register-ts.js'),
          join(__dirname, 'other-api-process.ts'),
          path,
          requestId,
          '60',
          '0',
          'json',
        ],
        { timeout: 60_000 },
      ).finally(() => (otherDone = true));
      // ...while this one takes the family's attempts, two at a time, for as long as the other runs (and at least 30).
      while (!otherDone || replies.length < 30) {
        const pair = await Promise.all([attempt(requestId), attempt(requestId)]);
        replies.push(...pair.map((r) => ({ status: r.statusCode, attemptId: r.statusCode === 201 ? r.json().attemptId : undefined })));
        for (const r of pair) if (r.statusCode === 409) expect(r.json()).toMatchObject({ status: 409 });
      }
      const {
        recorded,
        conflicts: otherConflicts,
        attemptIds,
      } = JSON.parse((await other).stdout) as {
        recorded: number;
        conflicts: number;
        attemptIds: string[];
      };
      expect(recorded + otherConflicts).toBe(60);

      expect(replies.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
      const stream = await store.read(streamIdFor(requestId));
      const inStream = stream.filter((e) => e.type === 'ContactAttemptRecorded').map((e) => (e.data as { attemptId: string }).attemptId);
      const done = [...replies.flatMap((r) => (r.attemptId ? [r.attemptId] : [])), ...attemptIds];
      // Every attempt reported recorded is there, once, and nothing else: no lost event, no duplicate.
      expect([...inStream].sort()).toEqual([...done].sort());
      expect(new Set(inStream).size).toBe(inStream.length);
      expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => BigInt(i)));
      expect(conflicts).toBeGreaterThan(0);
    } finally {
      store.append = append;
    }
  }, 90_000);
});
