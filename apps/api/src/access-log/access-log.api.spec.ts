import Redis from 'ioredis';
import { userIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthUser, Role } from '../auth/roles';
import { GetRequestViewQuery, ListRequestsQuery } from '../requests/request-view.query';
import { GetTimelineQuery } from '../requests/timeline.query';

/**
 * The access log through the api (ADR 0014), in-process on the demo users and cases (DEMO=true),
 * with its real SQLite file and a throwaway Redis: staff reads are recorded with their context, a
 * family's own reads are not, and the log answers managers and the data protection officer.
 */
let api: InProcessApi;
let store: EventStore;
let redis: Redis;
let projector: Projector;

const DEMO: Record<string, { role: Role; teamId?: string }> = {
  parent: { role: 'parent' },
  officer: { role: 'officer', teamId: 'north' },
  manager: { role: 'team_manager', teamId: 'north' },
  manager2: { role: 'team_manager', teamId: 'south' },
  'service.manager': { role: 'service_manager' },
  admin: { role: 'admin' },
  dpo: { role: 'dpo' },
};
type Who = keyof typeof DEMO;
const idOf = (who: Who) => userIdFor(`${who}@example.org`);
const tokens = new Map<Who, string>();
const get = async (who: Who, url: string) => {
  if (!tokens.has(who)) tokens.set(who, await api.token({ id: idOf(who), ...DEMO[who] }));
  return api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.get(who)}` } });
};
const log = async (who: Who, query = '') => {
  const res = await get(who, `/api/access-log${query}`);
  expect([query, res.statusCode]).toEqual([query, 200]);
  return res.json() as Array<Record<string, unknown>>;
};

let requestId: string;
let startedAt: string;

beforeAll(async () => {
  api = await inProcessApi({ DEMO: 'true', DEMO_DATA: 'false' });
  store = api.app.get(EVENT_STORE);
  redis = new Redis(api.redisUrl);
  projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
  await projectAll(store, projector);
  startedAt = new Date().toISOString();
  tokens.set('parent', await api.token({ id: idOf('parent'), role: 'parent' }));
  const submitted = await api.app.inject({
    method: 'POST',
    url: '/api/requests',
    headers: { authorization: `Bearer ${tokens.get('parent')}` },
    payload: { caseRef: 'C-1001', category: 'transport', subject: 'Taxi to school', message: 'The taxi did not come today.' },
  });
  expect(submitted.statusCode).toBe(201);
  requestId = submitted.json().id;
  await projectAll(store, projector);
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await api?.close();
});

describe('GET /api/access-log', () => {
  it("does not record a family's reads of their own request", async () => {
    for (const url of [
      `/api/requests/${requestId}`,
      `/api/requests/${requestId}/timeline`,
      '/api/requests',
      '/api/requests?caseRef=C-1001',
    ])
      expect((await get('parent', url)).statusCode).toBe(200);
    expect(await log('dpo')).toEqual([]);
  });

  it("records an officer's view of a request, its timeline, a search and a queue, with the context of each", async () => {
    expect((await get('officer', `/api/requests/${requestId}?context=queue`)).statusCode).toBe(200);
    expect((await get('officer', `/api/requests/${requestId}/timeline`)).statusCode).toBe(200);
    expect((await get('officer', '/api/requests?caseRef=C-1001')).statusCode).toBe(200);
    expect((await get('officer', '/api/queue')).statusCode).toBe(200);
    const entries = await log('dpo', `?userId=${idOf('officer')}`);
    const base = { userId: idOf('officer'), role: 'officer', id: requestId, caseRef: 'C-1001', teamId: 'north', via: 'api' };
    // Newest first.
    expect(entries).toEqual([
      { ...base, what: 'request', context: 'queue', at: expect.any(String) },
      { ...base, what: 'request', context: 'search', at: expect.any(String) },
      { ...base, what: 'timeline', context: 'direct', at: expect.any(String) },
      { ...base, what: 'request', context: 'queue', at: expect.any(String) },
    ]);
    expect(Date.parse(entries[3].at as string)).toBeGreaterThanOrEqual(Date.parse(startedAt));
  });

  it("records a manager's read of a case (its contacts) and of the requests shown on it", async () => {
    expect((await get('manager', '/api/cases/C-1001')).statusCode).toBe(200);
    const entries = await log('dpo', `?userId=${idOf('manager')}`);
    expect(entries.map((e) => [e.what, e.id, e.context])).toEqual([
      ['request', requestId, 'case'],
      ['case', 'C-1001', 'direct'],
    ]);
  });

  it("records a page's reads as a page's: the pages call the query handlers without a context", async () => {
    const queries = api.app.get(QueryBus);
    const staff: AuthUser = {
      id: idOf('service.manager'),
      email: 'service.manager@example.org',
      name: 'S',
      role: 'service_manager',
      teamId: null,
    };
    const family: AuthUser = { id: idOf('parent'), email: 'parent@example.org', name: 'P', role: 'parent', teamId: null };
    for (const user of [family, staff]) {
      await queries.execute(new GetRequestViewQuery(requestId, user));
      await queries.execute(new GetTimelineQuery(requestId, user));
      await queries.execute(new ListRequestsQuery(user, {}));
    }
    const byPage = (await log('dpo', '?caseRef=C-1001')).filter((e) => e.via === 'page');
    expect(byPage.map((e) => [e.userId, e.what, e.context])).toEqual([
      [idOf('service.manager'), 'request', 'list'],
      [idOf('service.manager'), 'timeline', 'direct'],
      [idOf('service.manager'), 'request', 'direct'],
    ]);
  });

  it('filters by case, reader and time', async () => {
    expect((await get('officer', '/api/cases/C-2001')).statusCode).toBe(404); // another team's case: not a read
    expect((await get('service.manager', '/api/cases/C-2001')).statusCode).toBe(200);
    const all = await log('dpo');
    expect(all.length).toBeGreaterThan(0);
    expect((await log('dpo', '?caseRef=C-2001')).map((e) => [e.userId, e.what, e.id])).toEqual([
      [idOf('service.manager'), 'case', 'C-2001'],
    ]);
    expect((await log('dpo', '?caseRef=C-1001')).every((e) => e.caseRef === 'C-1001')).toBe(true);
    expect(await log('dpo', `?caseRef=C-2001&userId=${idOf('officer')}`)).toEqual([]); // their 404 on it above was not a read
    const newest = all[0].at as string;
    const oldest = all.at(-1)!.at as string;
    expect(await log('dpo', `?from=${encodeURIComponent(new Date(Date.parse(newest) + 1).toISOString())}`)).toEqual([]);
    expect(await log('dpo', `?to=${encodeURIComponent(oldest)}`)).toEqual([]); // `to` is exclusive
    expect(await log('dpo', `?from=${encodeURIComponent(oldest)}&to=2999-01-01`)).toHaveLength(all.length);
  });

  it('pages newest first with a Link to the next page', async () => {
    const all = await log('dpo');
    const seen: unknown[] = [];
    let url: string | null = '/api/access-log?limit=2';
    while (url) {
      const res = await get('dpo', url);
      seen.push(...res.json());
      url = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1] ?? null;
    }
    expect(seen).toEqual(all);
  });

  it('answers bad filters with 400 problem+json naming the field', async () => {
    for (const [query, field] of [
      ['?from=yesterday', 'from'],
      ['?to=2026-13-45', 'to'],
      ['?from=2026-12-02&to=2026-12-01', 'to'],
      ['?limit=0', 'limit'],
    ]) {
      const res = await get('dpo', `/api/access-log${query}`);
      expect([query, res.statusCode, res.headers['content-type']]).toEqual([
        query,
        400,
        expect.stringContaining('application/problem+json'),
      ]);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const res = await get('officer', `/api/requests/${requestId}?context=gossip`);
    expect(res.statusCode).toBe(400);
  });

  it("shows a team manager their team's part only; service-wide roles and the dpo all of it", async () => {
    const north = await log('manager');
    expect(north.length).toBeGreaterThan(0);
    expect(north.every((e) => e.teamId === 'north')).toBe(true);
    expect((await log('manager2')).every((e) => e.teamId === 'south')).toBe(true);
    expect((await log('manager2')).map((e) => e.id)).toEqual(['C-2001']);
    expect((await log('service.manager')).length).toBe((await log('dpo')).length);
  });

  it('is refused to officers, families and administrators', async () => {
    for (const who of ['officer', 'parent', 'admin'] as Who[])
      expect([who, (await get(who, '/api/access-log')).statusCode]).toEqual([who, 403]);
  });
});

describe('the data protection officer', () => {
  it('signs in as the demo dpo and reads the log, but no case content', async () => {
    const login = await api.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'dpo@example.org', password: 'demo' } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toMatchObject({ role: 'dpo', teamId: null });
    const headers = { authorization: `Bearer ${login.json().token}` };
    const call = async (url: string) => (await api.app.inject({ method: 'GET', url, headers })).statusCode;
    expect(await call('/api/access-log')).toBe(200);
    for (const url of [
      `/api/requests/${requestId}`,
      `/api/requests/${requestId}/timeline`,
      '/api/requests',
      '/api/cases/C-1001',
      '/api/queue/triage',
    ])
      expect([url, await call(url)]).toEqual([url, 403]);
  });
});
