import Redis from 'ioredis';
import { caseStreamId, ERASED, erasureStreamId, streamIdFor, userIdFor, userStreamId, type PersonalDataErased } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';
import type { Role } from '../auth/roles';
import { SubjectErasureService } from './subject-erasure';
import { InMemoryDataKeyStore, InMemoryDataKeysModule } from './testing/in-memory-data-key-store';

/**
 * Subject access export and erasure through the api (issue 14, ADR 0017), in-process on the demo
 * users and cases with a real SQLite file and a throwaway Redis. The key store is the in-memory
 * double, told which streams hold whose data as the store layer's encrypting decorator tells the
 * real one. Two families: parent@ (C-1001, two requests, shares the case with the SENCo) and
 * parent2@ (C-2001, one request); each message carries a marker to search answers for.
 */
let api: InProcessApi;
let store: EventStore;
let redis: Redis;
let projector: Projector;
const dataKeys = new InMemoryDataKeyStore();

const PARENT = userIdFor('parent@example.org');
const PARENT2 = userIdFor('parent2@example.org');
const MARKER_ONE = 'MARKER-FAMILY-ONE-7731';
const MARKER_TWO = 'MARKER-FAMILY-TWO-5518';
/** Everything of the other family, and of the SENCo on parent@'s case, that must never be in parent@'s export. */
const NOT_PARENTS = [MARKER_TWO, 'parent2@example.org', 'Sam Parent', '+447700900202', 'senco@example.org', 'Alex Senco', 'C-2001'];

const staff: Record<string, { id: string; role: Role; teamId?: string }> = {
  dpo: { id: userIdFor('dpo@example.org'), role: 'dpo' },
  serviceManager: { id: userIdFor('service.manager@example.org'), role: 'service_manager' },
  head: { id: userIdFor('head@example.org'), role: 'head_of_service' },
  officer: { id: userIdFor('officer@example.org'), role: 'officer', teamId: 'north' },
  manager: { id: userIdFor('manager@example.org'), role: 'team_manager', teamId: 'north' },
};
const tokens = new Map<string, string>();
const bearer = async (who: string) => {
  if (!tokens.has(who)) tokens.set(who, await api.token(staff[who]));
  return `Bearer ${tokens.get(who)}`;
};
const get = async (who: string, url: string, accept = 'application/json') =>
  api.app.inject({ method: 'GET', url, headers: { authorization: await bearer(who), accept } });
const post = async (who: string, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url, headers: { authorization: await bearer(who), ...headers }, payload: payload as object });

const requestIds: Record<'one' | 'two', string[]> = { one: [], two: [] };

async function signIn(email: string): Promise<string> {
  const res = await api.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'demo' } });
  expect(res.statusCode).toBe(200);
  return `Bearer ${res.json().token}`;
}

async function submit(auth: string, caseRef: string, subject: string, message: string): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/requests',
    headers: { authorization: auth },
    payload: { caseRef, category: 'transport', subject, message },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

/** What the store layer's decorator records on append: whose data each stream holds (ids, case contacts, the child). */
async function keyAsTheStoreWould(): Promise<void> {
  for (const id of requestIds.one) await dataKeys.keyFor(PARENT, streamIdFor(id));
  for (const id of requestIds.two) await dataKeys.keyFor(PARENT2, streamIdFor(id));
  await dataKeys.keyFor(PARENT, userStreamId(PARENT));
  await dataKeys.keyFor(PARENT2, userStreamId(PARENT2));
  await dataKeys.keyFor(PARENT, caseStreamId('C-1001'));
  await dataKeys.keyFor(userIdFor('senco@example.org'), caseStreamId('C-1001'));
  await dataKeys.keyFor('case:C-1001', caseStreamId('C-1001'));
  await dataKeys.keyFor(PARENT2, caseStreamId('C-2001'));
}

beforeAll(async () => {
  api = await inProcessApi({ DEMO: 'true', DEMO_DATA: 'false' }, { imports: [InMemoryDataKeysModule.with(dataKeys)] });
  store = api.app.get(EVENT_STORE);
  redis = new Redis(api.redisUrl);
  projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
  await projectAll(store, projector);
  const parent = await signIn('parent@example.org');
  const parent2 = await signIn('parent2@example.org');
  requestIds.one.push(await submit(parent, 'C-1001', 'Taxi to school', `The taxi did not come. ${MARKER_ONE}`));
  requestIds.one.push(await submit(parent, 'C-1001', 'Annual review date', `When is the review? ${MARKER_ONE}`));
  requestIds.two.push(await submit(parent2, 'C-2001', 'Placement', `We need to talk about the placement. ${MARKER_TWO}`));
  await keyAsTheStoreWould();
  await projectAll(store, projector);
}, 90_000);
afterAll(async () => {
  await redis?.quit();
  await api?.close();
});

describe('GET /api/data-subjects/:id/export', () => {
  it("answers everything held about one family (account, case, both requests with their timelines) and nothing of another's", async () => {
    const res = await get('dpo', `/api/data-subjects/${PARENT}/export`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.account).toEqual({ id: PARENT, name: 'Pat Parent', email: 'parent@example.org', role: 'parent', teamId: null });
    expect(body.cases).toEqual([
      {
        caseRef: 'C-1001',
        childName: 'Sam',
        status: 'open',
        teamId: 'north',
        contacts: [
          { who: 'you', name: 'Pat Parent', relationship: 'mother', email: 'parent@example.org', phone: '+447700900101' },
          { who: 'another contact' },
        ],
      },
    ]);
    expect(body.requests.map((r: { request: { id: string } }) => r.request.id).sort()).toEqual([...requestIds.one].sort());
    for (const r of body.requests) {
      expect(r.requester).toMatchObject({ role: 'parent', name: 'Pat Parent', email: 'parent@example.org' });
      expect(r.timeline[0]).toMatchObject({ type: 'ContactRequestSubmitted', data: { message: expect.stringContaining(MARKER_ONE) } });
    }
    expect(JSON.stringify(body)).not.toMatch(/passwordHash|\$argon2/);
    for (const other of NOT_PARENTS) expect([other, JSON.stringify(body).includes(other)]).toEqual([other, false]);
  });

  it('answers a readable GOV.UK page for Accept: text/html, with the same data and the MoJ timeline', async () => {
    const res = await get('serviceManager', `/api/data-subjects/${PARENT}/export`, 'text/html,application/xhtml+xml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('govuk-summary-list');
    expect(res.body).toContain('moj-timeline');
    expect(res.body).toContain(MARKER_ONE);
    expect(res.body).toContain('Another contact');
    for (const other of NOT_PARENTS) expect([other, res.body.includes(other)]).toEqual([other, false]);
  });

  it('is for service managers, the head of service and the dpo only', async () => {
    expect((await get('head', `/api/data-subjects/${PARENT2}/export`)).statusCode).toBe(200);
    expect((await get('officer', `/api/data-subjects/${PARENT}/export`)).statusCode).toBe(403);
    expect((await get('manager', `/api/data-subjects/${PARENT}/export`)).statusCode).toBe(403);
  });

  it('answers 404 for a person nothing is held about, 400 for what is not a data subject id', async () => {
    expect((await get('dpo', '/api/data-subjects/contact:+447700900999/export')).statusCode).toBe(404);
    expect((await get('dpo', '/api/data-subjects/somebody/export')).statusCode).toBe(400);
  });

  it("records the export's reads in the access log with context export", async () => {
    const log = await get('dpo', `/api/access-log?userId=${staff.dpo.id}`);
    expect(log.statusCode).toBe(200);
    const entries = log.json() as Array<{ what: string; id: string; context: string }>;
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.context))).toEqual(new Set(['export']));
    expect(entries.map((e) => e.id)).toEqual(expect.arrayContaining([...requestIds.one, 'C-1001']));
  });
});

describe('POST /api/data-subjects/:id/erase', () => {
  let dashboardBefore: unknown;

  beforeAll(async () => {
    dashboardBefore = withoutAsOf((await get('serviceManager', '/api/dashboard/sla')).json());
  });

  it('is refused (422) while a request of theirs is open, and changes nothing', async () => {
    const res = await post('serviceManager', `/api/data-subjects/${PARENT}/erase`, { reason: 'Asked to be forgotten' });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().openRequests.sort()).toEqual([...requestIds.one].sort());
    expect((await store.read(streamIdFor(requestIds.one[0]))).some((e) => e.type === 'PersonalDataErased')).toBe(false);
    expect(await dataKeys.scopesOf(PARENT)).not.toEqual([]);
  });

  it('is for service managers and the head of service, with a reason', async () => {
    expect((await post('dpo', `/api/data-subjects/${PARENT}/erase`, { reason: 'x', force: true })).statusCode).toBe(403);
    expect((await post('serviceManager', `/api/data-subjects/${PARENT}/erase`, { force: true })).statusCode).toBe(400);
  });

  it('forced with a reason: marks every stream of theirs, deletes their keys, records the erasure; a retry answers the same', async () => {
    const first = await post('serviceManager', `/api/data-subjects/${PARENT}/erase`, { reason: 'Erasure request under Article 17', force: true }, { 'idempotency-key': 'erase-1' });
    expect(first.statusCode).toBe(200);
    // Two requests, the case, the account.
    expect(first.json()).toEqual({ erasureId: expect.any(String), streams: 4 });
    const { erasureId } = first.json();

    for (const id of requestIds.one) {
      const events = await store.read(streamIdFor(id));
      expect(events.at(-1)).toMatchObject({ type: 'PersonalDataErased', data: { erasureId, reason: 'erasure', by: staff.serviceManager.id } });
      expect(events.at(-1)!.data).not.toHaveProperty('contacts');
    }
    // In the shared case, only Pat Parent (index 0) is named; the SENCo's data stays.
    const caseEvents = await store.read(caseStreamId('C-1001'));
    expect(caseEvents.at(-1)).toMatchObject({ type: 'PersonalDataErased', data: { erasureId, contacts: [0] } });
    expect(caseEvents.at(-1)!.data).not.toHaveProperty('childName');
    expect((await store.read(userStreamId(PARENT))).at(-1)).toMatchObject({ type: 'PersonalDataErased' });
    // The other family is untouched.
    expect((await store.read(streamIdFor(requestIds.two[0]))).some((e) => e.type === 'PersonalDataErased')).toBe(false);
    expect((await store.read(caseStreamId('C-2001'))).some((e) => e.type === 'PersonalDataErased')).toBe(false);
    expect(await dataKeys.scopesOf(PARENT)).toEqual([]);
    expect(await dataKeys.scopesOf(PARENT2)).not.toEqual([]);

    // The erasure's record names nobody: a keyed hash of the subject, the reason, the streams.
    const record = await store.read(erasureStreamId(api.app.get(SubjectErasureService).subjectHash(PARENT)));
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({ type: 'DataSubjectErased', data: { erasureId, forced: true, reason: 'Erasure request under Article 17' } });
    // It lists the keys it deleted (random ids), so a replay after a restore deletes them again.
    const erasedKeyIds = (record[0].data as { keyIds: string[] }).keyIds;
    expect(erasedKeyIds.length).toBeGreaterThan(0);
    for (const keyId of erasedKeyIds) expect(await dataKeys.keyById(keyId)).toBeNull();
    for (const personal of [PARENT, 'parent@example.org', 'Pat Parent', '+447700900101', MARKER_ONE])
      expect([personal, JSON.stringify(record[0].data).includes(personal)]).toEqual([personal, false]);

    const again = await post('serviceManager', `/api/data-subjects/${PARENT}/erase`, { reason: 'Erasure request under Article 17', force: true }, { 'idempotency-key': 'erase-1' });
    expect(again.json()).toEqual(first.json());
    const withoutKey = await post('serviceManager', `/api/data-subjects/${PARENT}/erase`, { reason: 'Erasure request under Article 17', force: true });
    expect(withoutKey.statusCode).toBe(200);
    expect(withoutKey.json().erasureId).toBe(erasureId);
    // Nothing appended twice.
    expect((await store.read(streamIdFor(requestIds.one[0]))).filter((e) => e.type === 'PersonalDataErased')).toHaveLength(1);
  });

  it("keeps the dashboard's figures as they were", async () => {
    await projectAll(store, projector);
    expect(withoutAsOf((await get('serviceManager', '/api/dashboard/sla')).json())).toEqual(dashboardBefore);
  });

  it('answers 404 for a person nothing is held about', async () => {
    expect((await post('head', '/api/data-subjects/contact:+447700900999/erase', { reason: 'No such person', force: true })).statusCode).toBe(404);
  });

  it("every answer about the family shows [erased] where their data was", async () => {
    await projectAll(store, projector);
    for (const id of requestIds.one) {
      const view = (await get('serviceManager', `/api/requests/${id}`)).json();
      expect(view.subject).toBe(ERASED);
      const timeline = JSON.stringify((await get('serviceManager', `/api/requests/${id}/timeline`)).json());
      expect(timeline).not.toContain(MARKER_ONE);
      expect(timeline).toContain(ERASED);
    }
    const caseAnswer = JSON.stringify((await get('manager', '/api/cases/C-1001')).json());
    expect(caseAnswer).not.toContain('Pat Parent');
    expect(caseAnswer).not.toContain('parent@example.org');
    expect(caseAnswer).toContain('Alex Senco');
    const exported = JSON.stringify((await get('dpo', `/api/data-subjects/${PARENT}/export`)).json());
    expect(exported).not.toContain(MARKER_ONE);
    expect(exported).not.toContain('Pat Parent');
    // The other family reads as before.
    expect((await get('serviceManager', `/api/requests/${requestIds.two[0]}`)).json().subject).toBe('Placement');
  });
});

describe('a family without an account (contact:<phone>)', () => {
  const KIM = 'contact:+447700900303';
  const MARKER_THREE = 'MARKER-FAMILY-THREE-2290';
  let requestId: string;

  beforeAll(async () => {
    const opened = await post('serviceManager', '/api/cases', {
      caseRef: 'C-3001',
      childName: 'Robin',
      teamId: 'north',
      caseOfficerEmail: 'officer@example.org',
      contacts: [
        { name: 'Kim Carer', relationship: 'carer', phone: '+447700900303' },
        { name: 'Lee Other', relationship: 'social worker', email: 'lee.other@example.org' },
      ],
    });
    expect(opened.statusCode).toBe(201);
    // Routing reads the case from the read model: as the worker would have projected it by now.
    await projectAll(store, projector);
    const submitted = await post('officer', '/api/requests', {
      caseRef: 'C-3001',
      category: 'placement',
      channel: 'phone',
      subject: 'Called about the placement',
      message: `Kim rang about the placement. ${MARKER_THREE}`,
      requester: { role: 'parent', name: 'Kim Carer', phone: '+447700900303' },
    });
    expect(submitted.statusCode).toBe(201);
    requestId = submitted.json().id;
    // The key store is not told: the read models alone must find their data (data from before the key index).
    await projectAll(store, projector);
  });

  it('is found by their number through the case they are on, and their request on it, with nothing of the other contact', async () => {
    const res = await get('dpo', `/api/data-subjects/${encodeURIComponent(KIM)}/export`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.account).toBeNull();
    expect(body.cases).toEqual([
      expect.objectContaining({
        caseRef: 'C-3001',
        childName: 'Robin',
        contacts: [{ who: 'you', name: 'Kim Carer', relationship: 'carer', phone: '+447700900303' }, { who: 'another contact' }],
      }),
    ]);
    expect(body.requests.map((r: { request: { id: string } }) => r.request.id)).toEqual([requestId]);
    const text = JSON.stringify(body);
    expect(text).toContain(MARKER_THREE);
    for (const other of ['Lee Other', 'lee.other@example.org', MARKER_ONE, MARKER_TWO, 'C-1001']) expect([other, text.includes(other)]).toEqual([other, false]);
  });

  it('once their request is resolved, is erased without force: the request and their contact on the case are marked', async () => {
    const resolved = await post('officer', `/api/requests/${requestId}/resolve`, { outcome: 'Placement agreed', withoutReply: { reason: 'answered_outside', answeredAt: new Date().toISOString() } });
    expect(resolved.statusCode).toBe(200);
    const res = await post('head', `/api/data-subjects/${encodeURIComponent(KIM)}/erase`, { reason: 'Erasure request' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ erasureId: expect.any(String), streams: 2 });
    expect((await store.read(streamIdFor(requestId))).at(-1)).toMatchObject({ type: 'PersonalDataErased', data: { reason: 'erasure' } });
    expect((await store.read(caseStreamId('C-3001'))).at(-1)).toMatchObject({ type: 'PersonalDataErased', data: { contacts: [0] } });
  });
});

const withoutAsOf = (answer: Record<string, unknown>) => {
  const { asOf: _asOf, ...rest } = answer;
  return rest;
};

