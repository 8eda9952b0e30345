import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { callAttemptId, caseDecider, caseStreamId, callStreamId, foldCall, streamIdFor, userIdFor, type CaseCommand } from '@send/domain';
import { DeciderCommandHandler, type EventStore } from '@send/event-store';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { EVENT_STORE } from '@send/platform';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';
import { signCall } from './call-signature';

const SECRET = 'telephony-test-secret-0123456789';

/**
 * POST /api/telephony/calls and the unmatched list on the real stack: the api in process on a
 * fresh SQLite store and its own Redis, the demo users and cases (DEMO=true), and every read model projected
 * from the store between steps, as the worker would.
 */
describe('telephony', () => {
  let api: InProcessApi;
  let store: EventStore;
  let redis: Redis;
  let projector: Projector;
  const project = () => projectAll(store, projector);
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    api = await inProcessApi({ DEMO: 'true', TELEPHONY_SECRET: SECRET });
    store = api.app.get<EventStore>(EVENT_STORE);
    redis = new Redis(api.redisUrl);
    projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    for (const who of ['parent', 'parent2', 'officer', 'service.manager', 'admin'])
      tokens[who] = (await post('/api/auth/login', { email: `${who}@example.org`, password: 'demo' })).json().token;
    await project();
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await api?.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const get = (url: string, who: string) => api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });

  let calls = 0;
  const aCall = (over: Record<string, unknown> = {}) => ({
    callId: `call-${++calls}-${uuid().slice(0, 8)}`,
    from: '07700 900101',
    to: '0300 123 4567',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    outcome: 'missed',
    durationSeconds: 0,
    ...over,
  });
  /** Sent as the telephony system would: these exact bytes, signed. */
  const sendCall = (call: object, sign: (raw: string) => string | undefined = (raw) => signCall(raw, SECRET)) => {
    const raw = JSON.stringify(call);
    const signature = sign(raw);
    return api.app.inject({
      method: 'POST',
      url: '/api/telephony/calls',
      payload: raw,
      headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-signature': signature }) },
    });
  };
  /** The request's view once the read models have caught up with the store. */
  const request = async (id: string) => {
    await project();
    const res = await get(`/api/requests/${id}`, 'service.manager');
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const attemptsOf = async (requestId: string, attemptId: string) =>
    (await store.read(streamIdFor(requestId))).filter((e) => e.type === 'ContactAttemptRecorded' && e.data.attemptId === attemptId);

  /** parent@'s open request on C-1001, submitted through the api and projected. */
  let parentRequestId: string;
  const parentRequest = async (): Promise<string> => {
    if (parentRequestId) return parentRequestId;
    const res = await post(
      '/api/requests',
      { caseRef: 'C-1001', category: 'transport', subject: 'Taxi to school', message: 'The taxi did not come this week.' },
      { authorization: `Bearer ${tokens.parent}` },
    );
    expect(res.statusCode).toBe(201);
    parentRequestId = res.json().id;
    await project();
    return parentRequestId;
  };

  it("files a signed missed call from 07700 900101 as an unanswered phone attempt on parent@'s open request", async () => {
    const requestId = await parentRequest();
    const before = (await request(requestId)).unansweredAttempts;
    const call = aCall({ startedAt: new Date().toISOString() }); // after the request was made (an earlier call counts from its received time)

    const res = await sendCall(call);
    expect([res.statusCode, res.json()]).toEqual([202, { recorded: 'attempt', requestId }]);

    const [attempt] = await attemptsOf(requestId, callAttemptId(call.callId));
    expect(attempt).toMatchObject({
      data: { channel: 'phone', outcome: 'unanswered', source: 'telephony', at: call.startedAt, direction: 'inbound' },
      metadata: { actor: { id: 'system:telephony', role: 'system' } },
    });
    await project();
    expect((await request(requestId)).unansweredAttempts).toBe(before + 1);
    // parent@ sees it on their request's timeline, recorded by the system.
    const timeline = await api.app.inject({
      method: 'GET',
      url: `/api/requests/${requestId}/timeline`,
      headers: { authorization: `Bearer ${tokens.parent}` },
    });
    expect(timeline.json()).toContainEqual(
      expect.objectContaining({
        type: 'ContactAttemptRecorded',
        at: call.startedAt,
        actor: { role: 'system' },
        data: expect.objectContaining({ source: 'telephony' }),
      }),
    );
    // The call stream keeps the raw record, the caller in E.164, and where it went.
    const stream = await store.read(callStreamId(call.callId));
    expect(stream.map((e) => e.type)).toEqual(['CallReceived', 'CallFiled']);
    expect(stream[0]!.data).toMatchObject({ call, number: '+447700900101', numberIsE164: true });
    expect(stream[1]!.data).toMatchObject({ caseRef: 'C-1001', requestId, filedAs: 'attempt', by: 'system:telephony' });
  });

  it('records nothing for a callId it has seen: the stream decides, not memory', async () => {
    const requestId = await parentRequest();
    const call = aCall({ outcome: 'voicemail' });
    expect((await sendCall(call)).json()).toEqual({ recorded: 'attempt', requestId });
    await project();
    const attempts = (await request(requestId)).unansweredAttempts;
    const head = await store.headPosition();

    const again = await sendCall(call);
    expect([again.statusCode, again.json()]).toEqual([202, { recorded: 'duplicate' }]);
    // The same callId with another body is still the same call.
    expect((await sendCall({ ...call, outcome: 'missed', durationSeconds: 3 })).json()).toEqual({ recorded: 'duplicate' });
    expect(await store.headPosition()).toBe(head);
    await project();
    expect((await request(requestId)).unansweredAttempts).toBe(attempts);
  });

  it('answers 401 to a missing or wrong signature and records nothing', async () => {
    await parentRequest();
    const head = await store.headPosition();
    const call = aCall();
    const refused = [
      await sendCall(call, () => undefined),
      await sendCall(call, () => 'sha256=' + '0'.repeat(64)),
      await sendCall(call, (raw) => signCall(raw, 'another-secret-0123456789')),
      await sendCall(call, () => signCall(JSON.stringify({ ...call, outcome: 'answered' }), SECRET)), // signs other bytes
      await sendCall(call, (raw) => signCall(raw, SECRET).replace('sha256=', 'sha1=')),
      await sendCall(call, (raw) => signCall(raw, SECRET).slice(0, -2)),
    ];
    for (const res of refused) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 401, title: 'Bad signature' });
    }
    expect(await store.headPosition()).toBe(head);
    expect(await store.read(callStreamId(call.callId))).toEqual([]);
  });

  it('answers 400 naming each bad field of a signed body, and records nothing', async () => {
    const head = await store.headPosition();
    const res = await sendCall({ callId: '', from: '07700 900101', startedAt: 'yesterday', outcome: 'dropped', durationSeconds: -1 });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['callId', 'durationSeconds', 'outcome', 'startedAt', 'to']);
    expect(await store.headPosition()).toBe(head);
  });

  it('opens a request for a missed call from a contact whose case has none open', async () => {
    const call = aCall({ from: '+44 7700 900202', outcome: 'voicemail' });
    const res = await sendCall(call);
    expect(res.statusCode).toBe(202);
    const { recorded, requestId } = res.json();
    expect(recorded).toBe('request');
    await project();

    expect(await request(requestId)).toMatchObject({
      caseRef: 'C-2001',
      // Routed by the case: its team, its case officer.
      teamId: 'south',
      assignee: { id: userIdFor('officer3@example.org') },
      channel: 'phone',
      category: 'general',
      requesterRole: 'parent',
      unansweredAttempts: 1,
      lastAttemptAt: call.startedAt,
    });
    const submitted = (await store.read(streamIdFor(requestId))).find((e) => e.type === 'ContactRequestSubmitted')!;
    expect(submitted.data).toMatchObject({ subject: 'Missed call', requester: { phone: '+447700900202', email: 'parent2@example.org' } });
    expect(String(submitted.data.message)).toContain('+447700900202');
    expect(await attemptsOf(requestId, callAttemptId(call.callId))).toHaveLength(1);
    // The family sees it: it is on their case.
    expect((await get(`/api/requests/${requestId}`, 'parent2')).statusCode).toBe(200);

    // The next missed call from that number goes on the request it opened.
    expect((await sendCall(aCall({ from: '07700900202' }))).json()).toEqual({ recorded: 'attempt', requestId });

    // Resolved, then the family rings again within sla.reopenWithin: the call reopens it, not a new request.
    const resolved = await api.app.inject({
      method: 'POST',
      url: `/api/requests/${requestId}/resolve`,
      payload: { outcome: 'Rang back', withoutReply: { reason: 'answered_outside', answeredAt: new Date().toISOString() } },
      headers: { authorization: `Bearer ${tokens['service.manager']}` },
    });
    expect(resolved.statusCode).toBe(200);
    await project();
    expect((await sendCall(aCall({ from: '07700900202', startedAt: new Date().toISOString() }))).json()).toEqual({
      recorded: 'attempt',
      requestId,
    });
    expect(await request(requestId)).toMatchObject({ status: 'assigned', resolvedAt: null, unansweredAttempts: 1 });
  });

  it('keeps a call that was answered, and records no attempt for it', async () => {
    const requestId = await parentRequest();
    const attempts = (await request(requestId)).unansweredAttempts;
    const head = await store.headPosition();
    const call = aCall({ outcome: 'answered', durationSeconds: 240 });

    const res = await sendCall(call);
    expect([res.statusCode, res.json()]).toEqual([202, { recorded: 'answered' }]);
    expect((await store.read(callStreamId(call.callId))).map((e) => e.type)).toEqual(['CallReceived']);
    expect(await store.headPosition()).toBe(head + 1n);
    await project();
    expect((await request(requestId)).unansweredAttempts).toBe(attempts);
    expect((await sendCall(call)).json()).toEqual({ recorded: 'duplicate' });
  });

  it('keeps an unknown number for triage; linking it to a case files its calls there, oldest first', async () => {
    const requestId = await parentRequest();
    const attempts = (await request(requestId)).unansweredAttempts;
    const first = aCall({ from: '07700 900999', startedAt: new Date(Date.now() - 600_000).toISOString() });
    const second = aCall({ from: '+447700900999', outcome: 'voicemail', startedAt: new Date(Date.now() - 300_000).toISOString() });
    for (const call of [first, second]) expect((await sendCall(call)).json()).toEqual({ recorded: 'unmatched' });
    await project();

    const list = await get('/api/telephony/unmatched', 'officer');
    expect(list.statusCode).toBe(200);
    const entry = list.json().find((n: { number: string }) => n.number === '+447700900999');
    expect(entry).toMatchObject({ numberIsE164: true, lastCallAt: second.startedAt });
    expect(entry.calls.map((c: { callId: string }) => c.callId)).toEqual([second.callId, first.callId]);
    // Staff in triage roles only.
    expect((await get('/api/telephony/unmatched', 'parent')).statusCode).toBe(403);
    expect((await get('/api/telephony/unmatched', 'admin')).statusCode).toBe(403);

    const link = (number: string, caseRef: string, who = 'officer') =>
      post(`/api/telephony/unmatched/${encodeURIComponent(number)}/link`, { caseRef }, { authorization: `Bearer ${tokens[who]}` });
    expect((await link('+447700900999', 'C-9999')).statusCode).toBe(404);
    expect((await link('+447700900999', 'C-9999')).json().detail).toBe('No open case C-9999.');
    expect((await link('+447700900999', 'C-1001', 'parent')).statusCode).toBe(403);

    const linked = await link('+447700900999', 'C-1001');
    expect([linked.statusCode, linked.json()]).toEqual([
      200,
      {
        number: '+447700900999',
        caseRef: 'C-1001',
        filed: [
          { callId: first.callId, recorded: 'attempt', requestId },
          { callId: second.callId, recorded: 'attempt', requestId },
        ],
      },
    ]);
    const officerId = userIdFor('officer@example.org');
    for (const call of [first, second]) {
      const stream = await store.read(callStreamId(call.callId));
      expect(stream.map((e) => e.type)).toEqual(['CallReceived', 'CallUnmatched', 'CallLinked', 'CallFiled']);
      expect(stream[2]!.data).toMatchObject({ caseRef: 'C-1001', by: officerId });
      expect(await attemptsOf(requestId, callAttemptId(call.callId))).toHaveLength(1);
    }
    await project();
    expect((await request(requestId)).unansweredAttempts).toBe(attempts + 2);
    const after = (await get('/api/telephony/unmatched', 'officer')).json();
    expect(after.map((n: { number: string }) => n.number)).not.toContain('+447700900999');
    // Nothing left to link.
    expect((await link('+447700900999', 'C-1001')).statusCode).toBe(404);
  });

  it('files a call from a number on several cases on the most recently active open request across them', async () => {
    // The same family number on a second child's case (C-3001), with its own open request.
    const sync = await post(
      '/api/cases',
      {
        caseRef: 'C-3001',
        childName: 'Robin',
        teamId: 'south',
        caseOfficerEmail: 'officer3@example.org',
        contacts: [{ name: 'Pat Parent', relationship: 'mother', email: 'parent@example.org', phone: '07700 900101' }],
      },
      { authorization: `Bearer ${tokens['service.manager']}` },
    );
    expect(sync.statusCode).toBe(201);
    await project();
    const c1001 = await parentRequest();
    const submitted = await post(
      '/api/requests',
      { caseRef: 'C-3001', category: 'placement', subject: 'School place', message: 'Robin has no place from January.' },
      { authorization: `Bearer ${tokens.parent}` },
    );
    expect(submitted.statusCode).toBe(201);
    const c3001 = submitted.json().id;
    await project();

    // C-3001's request was the last active: it gets the call; a call to C-1001's request makes it the last active.
    expect((await sendCall(aCall())).json()).toEqual({ recorded: 'attempt', requestId: c3001 });
    const emailed = await post(`/api/requests/${c1001}/attempts`, { channel: 'email' }, { authorization: `Bearer ${tokens.parent}` });
    expect(emailed.statusCode).toBe(201);
    await project();
    expect((await sendCall(aCall())).json()).toEqual({ recorded: 'attempt', requestId: c1001 });
  });

  it('finishes the filing on a retry after a crash between the attempt and CallFiled, with no second attempt', async () => {
    const requestId = await parentRequest();
    const attempts = (await request(requestId)).unansweredAttempts;
    const call = aCall();
    // The process "dies" just before CallFiled: the append throws, as a killed process never makes it.
    const append = store.append.bind(store);
    const crash = jest.spyOn(store, 'append').mockImplementation(async (stream, events, options) => {
      if (events.some((e) => e.type === 'CallFiled')) throw new Error('simulated crash before CallFiled');
      return append(stream, events, options);
    });
    try {
      expect((await sendCall(call)).statusCode).toBe(500);
    } finally {
      crash.mockRestore();
    }
    expect((await store.read(callStreamId(call.callId))).map((e) => e.type)).toEqual(['CallReceived']);
    expect(await attemptsOf(requestId, callAttemptId(call.callId))).toHaveLength(1);
    await project();

    const retry = await sendCall(call);
    expect([retry.statusCode, retry.json()]).toEqual([202, { recorded: 'attempt', requestId }]);
    expect(await attemptsOf(requestId, callAttemptId(call.callId))).toHaveLength(1);
    expect(foldCall(await store.read(callStreamId(call.callId)))).toMatchObject({ status: 'filed', filing: { requestId } });
    await project();
    expect((await request(requestId)).unansweredAttempts).toBe(attempts + 1);
    expect((await sendCall(call)).json()).toEqual({ recorded: 'duplicate' });
  });
});

describe('telephony without TELEPHONY_SECRET', () => {
  let api: InProcessApi;
  beforeAll(async () => {
    api = await inProcessApi();
  });
  afterAll(() => api?.close());

  it('answers 503 naming the missing setting, and accepts no call, signed or not', async () => {
    const store = api.app.get<EventStore>(EVENT_STORE);
    const head = await store.headPosition();
    const raw = JSON.stringify({
      callId: 'c-1',
      from: '07700 900101',
      to: '0300',
      startedAt: '2026-12-01T10:00:00Z',
      outcome: 'missed',
      durationSeconds: 0,
    });
    for (const signature of [undefined, signCall(raw, SECRET)]) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/telephony/calls',
        payload: raw,
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}) },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().detail).toContain('TELEPHONY_SECRET');
    }
    expect(await store.headPosition()).toBe(head);
  });
});
