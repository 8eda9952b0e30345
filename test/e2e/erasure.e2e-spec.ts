import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { readFileSync, existsSync } from 'node:fs';
import { createHmac, randomUUID } from 'node:crypto';
import { userIdFor } from '@send/domain';
import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/**
 * Issue 14's proof, on the built system as `npm start` runs it: a family with two requests is
 * erased. Afterwards every API answer and page shows "[erased]" where their data was, the
 * dashboard's figures are unchanged, the other family is untouched, and a search of the SQLite file
 * (with its WAL), every Redis key and value, and the logs finds neither their email nor the marker
 * in their messages.
 */
const ERASED = '[erased]';
const TELEPHONY_SECRET = 'telephony-secret-for-the-erasure-test';

/** Every key and value in Redis as text, whatever its type (BullMQ's streams and hashes included). */
async function dumpRedis(redis: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else parts.push(`<${type}>`);
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

/** The SQLite file and its WAL as bytes read as text: what a backup or a stolen disk would hold. */
const sqliteBytes = (path: string): string =>
  [path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p).toString('latin1')).join('\n');

/** A page as a signed-in person sees it (the sign-in form with its CSRF token, then the session cookie). */
async function pageAs(baseUrl: string, email: string, path: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${baseUrl}/sign-in`);
  remember(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  const signedIn = await fetch(`${baseUrl}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies() },
    body: new URLSearchParams({ email, password: 'demo', _csrf: csrf ?? '' }).toString(),
  });
  remember(signedIn);
  const page = await fetch(baseUrl + path, { headers: { cookie: cookies() } });
  expect(page.status).toBe(200);
  return page.text();
}

describe('erasure of a family, end to end (built api + worker, SQLite, Redis)', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let redis: Redis;
  let system: RunningSystem;

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    redis = new Redis(redisServer.url);
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url, TELEPHONY_SECRET });
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    if (system) await system.interrupt();
    await redisServer?.stop();
  });

  it('erases one family everywhere and keeps every count', async () => {
    const api = apiClient(system.baseUrl);
    const parent = api.as(await api.login('parent@example.org'));
    const parent2 = api.as(await api.login('parent2@example.org'));
    const officer = api.as(await api.login('officer@example.org'));
    const serviceManager = api.as(await api.login('service.manager@example.org'));
    const dpo = api.as(await api.login('dpo@example.org'));
    const marker = `marker-${randomUUID()}`;
    const otherMarker = `other-${randomUUID()}`;

    const first = (await parent.post('/api/requests', { caseRef: 'C-1001', category: 'general', subject: `Taxi ${marker}`, message: `Sam's taxi ${marker}` })).body;
    const second = (await parent.post('/api/requests', { caseRef: 'C-1001', category: 'complaint', subject: 'Again', message: `Still ${marker}` })).body;
    const other = (await parent2.post('/api/requests', { caseRef: 'C-2001', category: 'general', subject: 'Alex', message: `Alex ${otherMarker}` })).body;
    expect([first.id, second.id, other.id].every(Boolean)).toBe(true);
    expect((await parent.post(`/api/requests/${first.id}/attempts`, { channel: 'phone' })).status).toBe(201);
    expect((await officer.post(`/api/requests/${first.id}/responses`, { channel: 'email', summary: `Replied about ${marker}` })).status).toBe(201);
    expect((await officer.get(`/api/requests/${second.id}`)).status).toBe(200);
    // A missed call from the parent's number, filed on their request by the telephony system.
    const call = JSON.stringify({ callId: randomUUID(), from: '07700 900101', to: '+441632960000', startedAt: new Date().toISOString(), outcome: 'missed', durationSeconds: 0 });
    const filed = await fetch(`${system.baseUrl}/api/telephony/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': `sha256=${createHmac('sha256', TELEPHONY_SECRET).update(call).digest('hex')}` },
      body: call,
    });
    expect(filed.status).toBe(202);
    expect(((await filed.json()) as { recorded?: string }).recorded).toBe('attempt');

    // The search below can find what it looks for: before the erasure, the read models hold it.
    await eventually(async () => (await dumpRedis(redis)).includes(marker), 15_000, 'the marker in the read models');

    // Export: all of this family's data, none of the other's.
    const subject = userIdFor('parent@example.org');
    const exported = await dpo.get(`/api/data-subjects/${subject}/export`);
    expect(exported.status).toBe(200);
    const exportedText = JSON.stringify(exported.body);
    expect(exportedText).toContain(marker);
    expect(exportedText).toContain('parent@example.org');
    expect(exportedText).not.toContain(otherMarker);
    expect(exportedText).not.toContain('parent2@example.org');

    // Refused while a request of theirs is open, unless forced with a reason.
    const refused = await serviceManager.post(`/api/data-subjects/${subject}/erase`, { reason: 'Request under Article 17' });
    expect([409, 422]).toContain(refused.status);
    expect(refused.contentType).toContain('application/problem+json');

    const dashboardBefore = await eventually(async () => {
      const { body } = await serviceManager.get('/api/dashboard/sla');
      return body;
    });

    const erased = await serviceManager.post(`/api/data-subjects/${subject}/erase`, { reason: 'Request under Article 17', force: true });
    expect(erased.status).toBe(200);

    // Every answer shows "[erased]" where their data was.
    for (const id of [first.id, second.id]) {
      const view = await eventually(async () => {
        const { body } = await serviceManager.get(`/api/requests/${id}`);
        return body.subject === ERASED && body;
      }, 15_000, `request ${id} erased in its view`);
      expect(view.reference).toMatch(/^SEND-/); // what identifies nobody stays
      const timeline = JSON.stringify((await serviceManager.get(`/api/requests/${id}/timeline`)).body);
      expect(timeline).not.toContain(marker);
      expect(timeline).toContain(ERASED);
    }
    const theCase = await serviceManager.get('/api/cases/C-1001');
    expect(JSON.stringify(theCase.body)).not.toContain('parent@example.org');
    expect(JSON.stringify((await serviceManager.get('/api/queue/team?teamId=north')).body)).not.toContain(marker);
    const page = await pageAs(system.baseUrl, 'service.manager@example.org', `/requests/${first.id}`);
    expect(page).toContain(ERASED);
    expect(page).not.toContain(marker);

    // The other family is untouched; the figures are whole.
    expect(JSON.stringify((await serviceManager.get(`/api/requests/${other.id}/timeline`)).body)).toContain(`Alex ${otherMarker}`);
    expect((await serviceManager.get('/api/dashboard/sla')).body).toEqual(dashboardBefore);

    // Nothing readable is left anywhere: the SQLite file and its WAL, every Redis key and value, the logs.
    await eventually(async () => !(await dumpRedis(redis)).includes(marker), 15_000, 'Redis free of the marker');
    // The launcher's banner lists the demo sign-ins (help text printed before any data exists): not a log of anyone's data.
    const logs = system
      .output()
      .split('\n')
      .filter((line) => !line.includes('demo sign-ins'))
      .join('\n');
    const everywhere = { sqlite: sqliteBytes(system.sqlitePath), redis: await dumpRedis(redis), logs };
    const theirs = { marker, email: 'parent@example.org', name: 'Pat Parent', phone: '+447700900101' };
    for (const [where, text] of Object.entries(everywhere)) {
      const found = Object.entries(theirs)
        .filter(([, value]) => text.includes(value))
        .map(([what]) => what);
      expect({ where, found }).toEqual({ where, found: [] });
    }
    // ...while the other family's data is still there, encrypted: the file holds no plain text of it either.
    expect(everywhere.sqlite.includes(otherMarker)).toBe(false);

    // The erasure itself is recorded, with no personal data.
    const db = new Database(system.sqlitePath, { readonly: true });
    const types = db.prepare("SELECT type FROM events WHERE type = 'PersonalDataErased'").all();
    db.close();
    expect(types.length).toBeGreaterThanOrEqual(3); // two requests, the case, the account
  }, 120_000);
});
