import Redis from 'ioredis';
import { caseStreamId, userIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';
import type { Role } from '../auth/roles';

/** The api in-process with the demo users and cases (DEMO=true), the worker's projector run by hand. */
let api: InProcessApi;
let store: EventStore;
let redis: Redis;
let projector: Projector;
const tokens = new Map<string, string>();

beforeAll(async () => {
  api = await inProcessApi({ DEMO: 'true', DEMO_DATA: 'false' });
  store = api.app.get(EVENT_STORE);
  redis = new Redis(api.redisUrl);
  projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await api?.close();
});

const DEMO: Record<string, { role: Role; teamId?: string }> = {
  'parent@example.org': { role: 'parent' },
  'parent2@example.org': { role: 'parent' },
  'senco@example.org': { role: 'school' },
  'officer@example.org': { role: 'officer', teamId: 'north' },
  'officer3@example.org': { role: 'officer', teamId: 'south' },
  'manager@example.org': { role: 'team_manager', teamId: 'north' },
  'manager2@example.org': { role: 'team_manager', teamId: 'south' },
  'service.manager@example.org': { role: 'service_manager' },
  'head@example.org': { role: 'head_of_service' },
  'admin@example.org': { role: 'admin' },
};
/** A token for a demo user (sign-in is auth's to test). */
async function as(email: string): Promise<string> {
  if (!tokens.has(email)) {
    const token = await api.token({ id: userIdFor(email), ...DEMO[email] });
    tokens.set(email, token);
  }
  return `Bearer ${tokens.get(email)}`;
}
const post = async (who: string, url: string, payload: unknown) =>
  api.app.inject({ method: 'POST', url, headers: { authorization: await as(who) }, payload: payload as object });
const postCsv = async (who: string, csv: string) =>
  api.app.inject({
    method: 'POST',
    url: '/api/cases/import',
    headers: { authorization: await as(who), 'content-type': 'text/csv' },
    payload: csv,
  });
const get = async (who: string, url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: await as(who) } });
const project = () => projectAll(store, projector);

const HEADER = 'caseRef,childName,teamId,caseOfficerEmail,contactName,relationship,contactEmail,contactPhone';
const body = (over: Record<string, unknown> = {}) => ({
  caseRef: 'C-3001',
  childName: 'Robin',
  teamId: 'north',
  caseOfficerEmail: 'officer@example.org',
  contacts: [{ name: 'Pat Parent', relationship: 'mother', email: 'Parent@Example.org', phone: '07700 900101' }],
  ...over,
});

describe('demo cases (DEMO=true)', () => {
  it('are seeded once, after the demo users, as API.md lists them', async () => {
    await project();
    const res = await get('service.manager@example.org', '/api/cases/C-1001');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      caseRef: 'C-1001',
      childName: 'Sam',
      teamId: 'north',
      caseOfficerId: userIdFor('officer@example.org'),
      status: 'open',
      contacts: [
        { email: 'parent@example.org', phone: '+447700900101', userId: userIdFor('parent@example.org') },
        { email: 'senco@example.org', userId: userIdFor('senco@example.org') },
      ],
      requests: [],
    });
    expect((await store.read(caseStreamId('C-2001'))).map((e) => e.type)).toEqual(['CaseOpened', 'CaseContactLinked']);
  });
});

describe('POST /api/cases', () => {
  it('creates (201), then updates (200), then is unchanged (200, nothing appended)', async () => {
    const created = await post('service.manager@example.org', '/api/cases', body());
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      caseRef: 'C-3001',
      childName: 'Robin',
      teamId: 'north',
      caseOfficerId: userIdFor('officer@example.org'),
      status: 'open',
      // The phone in E.164, the email lower case, the portal account found from it.
      contacts: [
        {
          contactId: 'email:parent@example.org',
          name: 'Pat Parent',
          relationship: 'mother',
          email: 'parent@example.org',
          phone: '+447700900101',
          userId: userIdFor('parent@example.org'),
        },
      ],
    });

    const updated = await post(
      'head@example.org',
      '/api/cases',
      body({ caseOfficerId: userIdFor('officer3@example.org'), caseOfficerEmail: undefined, teamId: 'south' }),
    );
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ teamId: 'south', caseOfficerId: userIdFor('officer3@example.org') });

    const head = await store.headPosition();
    const again = await post('admin@example.org', '/api/cases', body({ caseOfficerEmail: 'officer3@example.org', teamId: 'south' }));
    expect(again.statusCode).toBe(200);
    expect(await store.headPosition()).toBe(head);
  });

  it.each([
    ['contacts.0.phone', body({ contacts: [{ name: 'P', relationship: 'mother', phone: '12345' }] })],
    ['contacts.0.email', body({ contacts: [{ name: 'P', relationship: 'mother', email: 'nope' }] })],
    ['caseRef', body({ caseRef: 'has spaces' })],
    ['teamId', body({ teamId: 'North' })],
    ['caseOfficerId', body({ caseOfficerEmail: undefined })],
    [
      'contacts[1]',
      body({
        contacts: [
          { name: 'P', relationship: 'mother', email: 'p@example.org' },
          { name: 'Q', relationship: 'father', email: 'P@example.org' },
        ],
      }),
    ],
  ])('answers 400 naming %s, and records nothing', async (field, payload) => {
    const head = await store.headPosition();
    const res = await post('service.manager@example.org', '/api/cases', {
      ...payload,
      caseRef: (payload as { caseRef: string }).caseRef.replace('C-3001', 'C-3002'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await store.headPosition()).toBe(head);
  });

  it('answers 422 when the case officer is not a registered officer', async () => {
    const res = await post(
      'service.manager@example.org',
      '/api/cases',
      body({ caseRef: 'C-3003', caseOfficerEmail: 'manager@example.org' }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'caseOfficerEmail', message: 'is not a registered officer in a team' }]);
  });

  it.each(['parent@example.org', 'officer@example.org', 'manager@example.org'])('refuses %s (403), recording nothing', async (who) => {
    const head = await store.headPosition();
    expect((await post(who, '/api/cases', body({ caseRef: 'C-3004' }))).statusCode).toBe(403);
    expect(await store.headPosition()).toBe(head);
  });
});

describe('GET /api/cases/:caseRef, by role', () => {
  beforeAll(project);

  it.each([
    ['service.manager@example.org', 'C-2001', 200],
    ['head@example.org', 'C-1001', 200],
    ['officer@example.org', 'C-1002', 200], // their team's, though not their case
    ['officer@example.org', 'C-2001', 404], // another team's: existence is private
    ['manager@example.org', 'C-1001', 200],
    ['manager2@example.org', 'C-1001', 404],
    ['officer3@example.org', 'C-2001', 200],
    ['admin@example.org', 'C-1001', 200],
    ['parent@example.org', 'C-1001', 403], // contacts read their cases at /api/me/cases
    ['service.manager@example.org', 'C-9999', 404],
    ['service.manager@example.org', 'not%20a%20ref', 404],
  ])('%s reading %s: %d', async (who, ref, status) => {
    const res = await get(who, `/api/cases/${ref}`);
    expect(res.statusCode).toBe(status);
    if (status === 200) expect(res.json()).toMatchObject({ caseRef: ref, contacts: expect.any(Array), requests: expect.any(Array) });
  });

  it("answers the case's requests to those whose scope holds them; administrators get none", async () => {
    const submitted = await post('parent@example.org', '/api/requests', {
      caseRef: 'C-1001',
      category: 'transport',
      subject: 'Taxi to school',
      message: 'The taxi did not come this week.',
    });
    expect(submitted.statusCode).toBe(201);
    await project();
    const ids = async (who: string) => (await get(who, '/api/cases/C-1001')).json().requests.map((r: { id: string }) => r.id);
    expect(await ids('officer@example.org')).toEqual([submitted.json().id]);
    expect(await ids('head@example.org')).toEqual([submitted.json().id]);
    expect(await ids('admin@example.org')).toEqual([]);
    expect(await ids('service.manager@example.org')).toEqual([submitted.json().id]);
  });

  it("lets an officer read a case they are case officer of in another team; that team's staff too, not their own manager", async () => {
    const payload = body({ caseRef: 'C-3006', teamId: 'south', caseOfficerEmail: 'officer@example.org' });
    expect((await post('service.manager@example.org', '/api/cases', payload)).statusCode).toBe(201);
    expect((await get('officer@example.org', '/api/cases/C-3006')).statusCode).toBe(200);
    expect((await get('officer3@example.org', '/api/cases/C-3006')).statusCode).toBe(200);
    expect((await get('manager@example.org', '/api/cases/C-3006')).statusCode).toBe(404);
  });

  it('reads a case written a moment ago, before the projection has it', async () => {
    expect((await post('service.manager@example.org', '/api/cases', body({ caseRef: 'C-3005' }))).statusCode).toBe(201);
    expect((await get('officer@example.org', '/api/cases/C-3005')).json()).toMatchObject({ caseRef: 'C-3005', childName: 'Robin' });
  });
});

describe('GET /api/me/cases', () => {
  beforeAll(project);

  it.each([
    ['parent@example.org', ['C-1001', 'C-3001', 'C-3005', 'C-3006']],
    ['senco@example.org', ['C-1001', 'C-1002']],
    ['parent2@example.org', ['C-2001']],
  ])("lists %s's open cases", async (who, refs) => {
    const res = await get(who, '/api/me/cases');
    expect(res.statusCode).toBe(200);
    expect(res.json().map((c: { caseRef: string }) => c.caseRef)).toEqual(refs);
    expect(Object.keys(res.json()[0]).sort()).toEqual(['caseRef', 'childName', 'teamId']);
  });

  it('is for contacts only', async () => {
    expect((await get('officer@example.org', '/api/me/cases')).statusCode).toBe(403);
  });
});

describe('POST /api/cases/import', () => {
  const child = (i: number) => `Child ${i} with a middle name and a family name`;

  it('imports 10,000 lines; the same file again is all unchanged and appends nothing', async () => {
    const lines = [HEADER];
    // 5,000 cases of two contacts, the two lines of a case far apart (grouping does not need them adjacent).
    for (let i = 0; i < 5000; i++)
      lines.push(
        `I-${i},${child(i)},north,officer@example.org,Parent ${i},mother,parent${i}@example.org,07700 9${String(i).padStart(5, '0')}`,
      );
    for (let i = 0; i < 5000; i++) lines.push(`I-${i},${child(i)},north,OFFICER@example.org,Teacher ${i},SENCo,,`);
    const csv = lines.join('\n') + '\n';
    expect(csv.length).toBeGreaterThan(1_048_576); // past the JSON body limit: text/csv has its own
    const started = Date.now();
    const first = await postCsv('admin@example.org', csv);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ created: 5000, updated: 0, unchanged: 0, rejected: [] });
    expect(Date.now() - started).toBeLessThan(30_000);

    const head = await store.headPosition();
    const second = await postCsv('admin@example.org', csv);
    expect(second.json()).toEqual({ created: 0, updated: 0, unchanged: 5000, rejected: [] });
    expect(await store.headPosition()).toBe(head);
  }, 120_000);

  it('reports bad lines by number and writes nothing for their case; other cases import', async () => {
    const csv = [
      HEADER,
      'B-1,Ash,north,officer@example.org,Ann,mother,ann@example.org,07700 900111', // 2: fine, but its case has a bad line
      'B-2,Bo,south,officer3@example.org,Ben,father,,07700 900222', // 3: fine, imported
      'B-1,Ash,north,officer@example.org,Al,father,,not a phone', // 4: bad phone
      'B-3,Cy,north,nobody@example.org,Cat,carer,,', // 5: not an officer
      'B-4,Di,north,officer@example.org,Dot,mother,dot@example.org,', // 6
      'B-4,Di,south,officer@example.org,Dan,father,,', // 7: another team than line 6
      'B-5,"Ed\nward",north,officer@example.org,,,,', // 8-9: a case with no contacts, its name over two lines: fine
      'B-6,Flo,north,officer@example.org,Fay', // 10: too few fields
      'bad ref,Gus,north,officer@example.org,Gil,mother,,', // 11
    ].join('\r\n');
    const res = await postCsv('service.manager@example.org', csv);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const byLine = Object.fromEntries(
      report.rejected.map((r: { line: number; errors: Array<{ field: string }> }) => [r.line, r.errors.map((e) => e.field)]),
    );
    expect(byLine).toEqual({
      2: ['caseRef'],
      4: ['contactPhone'],
      5: ['caseOfficerEmail'],
      6: ['caseRef'],
      7: ['teamId'],
      10: ['line', 'relationship'],
      11: ['caseRef'],
    });
    expect(report.rejected.find((r: { line: number }) => r.line === 2).errors[0].message).toBe('case B-1 not imported: line 4 is invalid');
    for (const ref of ['B-1', 'B-3', 'B-4', 'B-6']) expect(await store.read(caseStreamId(ref))).toEqual([]);
    expect((await store.read(caseStreamId('B-5')))[0].data).toMatchObject({ childName: 'Ed\nward' });
    expect((await store.read(caseStreamId('B-2'))).map((e) => e.type)).toEqual(['CaseOpened', 'CaseContactLinked']);
  });

  it('refuses a file whose header lacks columns (400 naming them), recording nothing', async () => {
    const head = await store.headPosition();
    const res = await postCsv('admin@example.org', 'caseRef,childName,teamId,contactName\nX-1,A,north,B\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'caseOfficerEmail',
      'relationship',
      'contactEmail',
      'contactPhone',
    ]);
    expect(res.json().detail).toContain('caseOfficerEmail, relationship, contactEmail, contactPhone');
    expect(await store.headPosition()).toBe(head);
  });

  it('refuses a body that is not CSV, and callers who may not import', async () => {
    expect((await post('admin@example.org', '/api/cases/import', { caseRef: 'x' })).statusCode).toBe(400);
    expect((await postCsv('officer@example.org', `${HEADER}\n`)).statusCode).toBe(403);
    expect((await postCsv('manager@example.org', `${HEADER}\n`)).statusCode).toBe(403);
  });
});
