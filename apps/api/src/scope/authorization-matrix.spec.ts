import Redis from 'ioredis';
import { userIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';
import type { Role } from '../auth/roles';

/**
 * The authorization matrix of API.md ("Who sees and does what"), cell by cell: every request route x
 * every demo role x the requests a role may or may not reach, on the demo users and cases (DEMO=true).
 * Each write runs on a request of its own, so one cell's effect never decides another's; every refusal
 * is checked to have appended nothing.
 */
let api: InProcessApi;
let store: EventStore;
let redis: Redis;
let projector: Projector;

const USERS: Record<string, { role: Role; teamId?: string }> = {
  parent: { role: 'parent' },
  parent2: { role: 'parent' },
  senco: { role: 'school' },
  officer: { role: 'officer', teamId: 'north' },
  officer2: { role: 'officer', teamId: 'north' },
  officer3: { role: 'officer', teamId: 'south' },
  manager: { role: 'team_manager', teamId: 'north' },
  manager2: { role: 'team_manager', teamId: 'south' },
  'service.manager': { role: 'service_manager' },
  head: { role: 'head_of_service' },
  admin: { role: 'admin' },
  dpo: { role: 'dpo' },
};
type Who = keyof typeof USERS;
const WHO = Object.keys(USERS) as Who[];
const idOf = (who: Who) => userIdFor(`${who}@example.org`);
const tokens = new Map<Who, string>();
const auth = async (who: Who) => {
  if (!tokens.has(who)) tokens.set(who, await api.token({ id: idOf(who), ...USERS[who] }));
  return { authorization: `Bearer ${tokens.get(who)}` };
};
const call = async (who: Who, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: await auth(who), ...(payload ? { payload } : {}) });

/**
 * The requests a cell acts on (demo cases: C-1001 north, officer@, contacts parent@ and senco@;
 * C-1002 north, officer2@, senco@; C-2001 south, officer3@, parent2@):
 * - north:  logged by officer@ for parent@ on C-1001 (north, assigned to officer@; not parent@'s own submission)
 * - own:    parent@'s own, routed by their one case (C-1001, north, officer@)
 * - south:  parent2@'s own (C-2001, south, officer3@)
 * - triage: senco@'s own with no case named (two linked cases): no team
 */
const TARGETS = ['north', 'own', 'south', 'triage'] as const;
type Target = (typeof TARGETS)[number];

async function submit(target: Target): Promise<string> {
  const [who, body]: [Who, object] =
    target === 'north'
      ? ['officer', { caseRef: 'C-1001', requester: { role: 'parent', name: 'Pat Parent', email: 'parent@example.org' } }]
      : target === 'own'
        ? ['parent', {}]
        : target === 'south'
          ? ['parent2', {}]
          : ['senco', {}];
  const res = await call(who, 'POST', '/api/requests', {
    category: 'general',
    subject: `${target} request`,
    message: 'Please call me back.',
    ...body,
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

/** Who may read (and so act on, role permitting) each target: API.md's table, written out. */
const READS: Record<Who, Record<Target, boolean>> = {
  parent: { north: true, own: true, south: false, triage: false },
  parent2: { north: false, own: false, south: true, triage: false },
  senco: { north: true, own: true, south: false, triage: true }, // a contact on C-1001; triage is their own
  officer: { north: true, own: true, south: false, triage: true },
  officer2: { north: true, own: true, south: false, triage: true },
  officer3: { north: false, own: false, south: true, triage: true },
  manager: { north: true, own: true, south: false, triage: true },
  manager2: { north: false, own: false, south: true, triage: true },
  'service.manager': { north: true, own: true, south: true, triage: true },
  head: { north: true, own: true, south: true, triage: true },
  admin: { north: false, own: false, south: false, triage: false },
  dpo: { north: false, own: false, south: false, triage: false },
};

const REQUESTERS: Who[] = ['parent', 'parent2', 'senco'];
const MANAGERS: Who[] = ['manager', 'manager2', 'service.manager', 'head'];
const STAFF_ACTORS: Who[] = ['officer', 'officer2', 'officer3', ...MANAGERS];
/** Roles that read no case content (administrators, the data protection officer): refused by role (403), before any scope. */
const NO_CASE_CONTENT: Who[] = ['admin', 'dpo'];

/** The writes, with the roles their route admits (others: 403 before any scope check). */
const WRITES: Array<{ name: string; roles: Who[]; path: string; body: (who: Who) => object }> = [
  { name: 'attempts', roles: [...REQUESTERS, ...STAFF_ACTORS], path: 'attempts', body: () => ({ channel: 'phone' }) },
  {
    name: 'assign',
    roles: STAFF_ACTORS,
    path: 'assign',
    // Officers claim for themselves; managers assign an officer of their own team (service-wide: any).
    body: (who) => ({
      officerId: idOf(
        who === 'manager' || who === 'service.manager' || who === 'head' ? 'officer2' : who === 'manager2' ? 'officer3' : who,
      ),
    }),
  },
  { name: 'responses', roles: STAFF_ACTORS, path: 'responses', body: () => ({ channel: 'email', summary: 'We will call you today.' }) },
  { name: 'call-back-failed', roles: STAFF_ACTORS, path: 'call-back-failed', body: () => ({}) },
  {
    name: 'resolve',
    roles: STAFF_ACTORS,
    path: 'resolve',
    body: () => ({ outcome: 'Withdrawn by phone', withoutReply: { reason: 'withdrawn' } }),
  },
  { name: 'route', roles: STAFF_ACTORS, path: 'route', body: () => ({ caseRef: 'C-1002' }) },
];

beforeAll(async () => {
  api = await inProcessApi({ DEMO: 'true', DEMO_DATA: 'false' });
  store = api.app.get(EVENT_STORE);
  redis = new Redis(api.redisUrl);
  projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
  await projectAll(store, projector); // the demo users and cases routing and scope read
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await api?.close();
});

describe('authorization matrix: reads', () => {
  const ids = {} as Record<Target, string>;
  beforeAll(async () => {
    for (const target of TARGETS) ids[target] = await submit(target);
    await projectAll(store, projector);
  });

  it('routes the four requests as the matrix assumes', async () => {
    const view = async (t: Target) => (await call('head', 'GET', `/api/requests/${ids[t]}`)).json();
    expect(await view('north')).toMatchObject({ caseRef: 'C-1001', teamId: 'north', assignee: { id: idOf('officer') } });
    expect(await view('own')).toMatchObject({ caseRef: 'C-1001', teamId: 'north', assignee: { id: idOf('officer') } });
    expect(await view('south')).toMatchObject({ caseRef: 'C-2001', teamId: 'south', assignee: { id: idOf('officer3') } });
    expect(await view('triage')).toMatchObject({ caseRef: null, teamId: null, assignee: null });
  });

  describe.each(WHO)('%s', (who) => {
    it.each(TARGETS)('the %s request: view, timeline and list agree with the table', async (target) => {
      const expected = READS[who][target];
      const notFound = NO_CASE_CONTENT.includes(who) ? 403 : 404;
      const viewed = await call(who, 'GET', `/api/requests/${ids[target]}`);
      expect([target, viewed.statusCode]).toEqual([target, expected ? 200 : notFound]);
      const timeline = await call(who, 'GET', `/api/requests/${ids[target]}/timeline`);
      expect([target, timeline.statusCode]).toEqual([target, expected ? 200 : notFound]);
      const list = await call(who, 'GET', '/api/requests?limit=500');
      if (NO_CASE_CONTENT.includes(who)) return expect(list.statusCode).toBe(403);
      expect(list.statusCode).toBe(200);
      expect([target, list.json().some((v: { id: string }) => v.id === ids[target])]).toEqual([target, expected]);
    });
  });
});

describe('authorization matrix: writes (each on a request of its own; a refusal appends nothing)', () => {
  describe.each(WRITES)('POST /api/requests/:id/$name', ({ roles, path, body }) => {
    it.each(WHO.flatMap((who) => TARGETS.map((target) => [who, target] as const)))('%s on the %s request', async (who, target) => {
      const id = await submit(target);
      const head = await store.headPosition();
      const res = await call(who, 'POST', `/api/requests/${id}/${path}`, body(who));
      const expected = !roles.includes(who) ? 403 : READS[who][target] ? 'ok' : 404;
      if (expected === 'ok') {
        // Done (or already so: an officer claiming what routing gave them appends nothing, and says so with 200).
        expect([res.statusCode >= 200 && res.statusCode < 300, res.json()]).toEqual([true, expect.objectContaining({})]);
      } else {
        expect(res.statusCode).toBe(expected);
        expect(await store.headPosition()).toBe(head);
      }
    });
  });
});

describe('scope beyond requests', () => {
  it("pins a team manager's dashboard and team queue to their own team", async () => {
    expect((await call('manager', 'GET', '/api/dashboard/sla?teamId=south')).statusCode).toBe(403);
    expect((await call('manager', 'GET', '/api/dashboard/sla?teamId=north')).statusCode).toBe(200);
    expect((await call('service.manager', 'GET', '/api/dashboard/sla?teamId=south')).statusCode).toBe(200);
    const south = await submit('south');
    await call('officer3', 'POST', `/api/requests/${south}/route`, { teamId: 'south' }); // unassigned in south's queue
    await projectAll(store, projector);
    const queued = async (who: Who, url: string) => (await call(who, 'GET', url)).json().some((e: { id: string }) => e.id === south);
    expect(await queued('manager2', '/api/queue/team')).toBe(true);
    expect(await queued('manager', '/api/queue/team?teamId=south')).toBe(false); // their own team, whatever they ask
    expect(await queued('service.manager', '/api/queue/team?teamId=south')).toBe(true);
  });

  it('keeps triage apart from team queues, for every officer and manager', async () => {
    const triaged = await submit('triage');
    await projectAll(store, projector);
    for (const who of STAFF_ACTORS) {
      const res = await call(who, 'GET', '/api/queue/triage?limit=500');
      expect([who, res.json().some((e: { id: string }) => e.id === triaged)]).toEqual([who, true]);
      expect([who, (await call(who, 'GET', '/api/queue/team?limit=500')).json().some((e: { id: string }) => e.id === triaged)]).toEqual([
        who,
        who === 'service.manager' || who === 'head',
      ]);
    }
    for (const who of [...REQUESTERS, ...NO_CASE_CONTENT]) expect((await call(who, 'GET', '/api/queue/triage')).statusCode).toBe(403);
  });

  it('lets managers and the data protection officer read the access log, and nobody else', async () => {
    for (const who of WHO) {
      const res = await call(who, 'GET', '/api/access-log');
      expect([who, res.statusCode]).toEqual([who, MANAGERS.includes(who) || who === 'dpo' ? 200 : 403]);
    }
  });

  it('refuses the data protection officer any case (contacts are case content)', async () => {
    expect((await call('dpo', 'GET', '/api/cases/C-1001')).statusCode).toBe(403);
  });
});
