import { apiClient, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/**
 * Accounts after sign-in (issue 13, ADR 0015), on the system as `npm start` runs it: a new password
 * ends the old sessions; a disabled account neither signs in nor keeps its sessions; signing out
 * everywhere ends every token; the API's login is rate-limited per account and per address, and a
 * client cannot dodge the address limit with X-Forwarded-For.
 */
describe('accounts: passwords, disabling, sessions, sign-in limits (end to end)', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let system: RunningSystem;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    api = apiClient(system.baseUrl);
  }, 90_000);

  afterAll(async () => {
    const code = await system?.interrupt();
    await redisServer?.stop();
    expect(code).toBe(0);
  }, 60_000);

  const login = (email: string, password: string, headers: Record<string, string> = {}) =>
    api.call('POST', '/api/auth/login', { email, password }, headers);

  it('a password change ends the other sessions, answers a token that works, and only the new password signs in', async () => {
    const first = await api.login('parent2@example.org');
    const other = await api.login('parent2@example.org');
    const weak = await api.as(first).post('/api/auth/password', { currentPassword: 'demo', newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    const wrong = await api.as(first).post('/api/auth/password', { currentPassword: 'nope', newPassword: 'a much longer passphrase' });
    expect(wrong.status).toBe(422);

    // Tokens carry whole seconds: sign the change in a later second than the old tokens.
    await new Promise((r) => setTimeout(r, 1_100));
    const changed = await api.as(first).post('/api/auth/password', { currentPassword: 'demo', newPassword: 'a much longer passphrase' });
    expect(changed.status).toBe(200);
    expect((await api.as(other).get('/api/requests')).status).toBe(401);
    expect((await api.as(first).get('/api/requests')).body).toMatchObject({ type: expect.stringContaining('session-ended') });
    expect((await api.as(changed.body.token).get('/api/requests')).status).toBe(200);
    expect((await login('parent2@example.org', 'demo')).status).toBe(401);
    expect((await login('parent2@example.org', 'a much longer passphrase')).status).toBe(200);
  }, 30_000);

  it('a disabled account cannot sign in and its sessions end; enabled again, it signs in afresh', async () => {
    const admin = await api.as(await api.login('admin@example.org'));
    const officer = await api.login('officer3@example.org');
    const officerId = (await login('officer3@example.org', 'demo')).body.user.id;
    expect((await api.as(officer).post(`/api/users/${officerId}/disable`, { reason: 'x' })).status).toBe(403);
    expect((await admin.post(`/api/users/${officerId}/disable`, {})).status).toBe(400); // a reason is needed
    expect((await admin.post('/api/users/no-such-user/disable', { reason: 'left' })).status).toBe(404);

    await new Promise((r) => setTimeout(r, 1_100));
    const disabled = await admin.post(`/api/users/${officerId}/disable`, { reason: 'left the council' });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ userId: officerId, disabled: true });
    expect((await api.as(officer).get('/api/queue')).status).toBe(401);
    const refused = await login('officer3@example.org', 'demo');
    expect(refused.status).toBe(401); // as a wrong password answers: nothing says the account exists
    expect(refused.body.detail).toBe((await login('officer3@example.org', 'wrong')).body.detail);

    expect((await admin.post(`/api/users/${officerId}/enable`, {})).body).toMatchObject({ disabled: false });
    const again = await login('officer3@example.org', 'demo');
    expect(again.status).toBe(200);
    expect((await api.as(again.body.token).get('/api/queue')).status).toBe(200);
    expect((await api.as(officer).get('/api/queue')).status).toBe(401); // the old session stays ended
  }, 30_000);

  it('signing out everywhere ends every session of your own, and nobody else\'s but by an administrator', async () => {
    const mine = await api.login('senco@example.org');
    const me = (await login('senco@example.org', 'demo')).body.user.id;
    const someoneElse = (await login('officer2@example.org', 'demo')).body.user.id;
    expect((await api.as(mine).post(`/api/users/${someoneElse}/revoke-sessions`, {})).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await api.as(mine).post(`/api/users/${me}/revoke-sessions`, {})).status).toBe(200);
    expect((await api.as(mine).get('/api/requests')).status).toBe(401);
  }, 30_000);

  it("limits wrong passwords at the API: the sixth for one account in a minute is 429 (right ones never count), and X-Forwarded-For does not reset the address count", async () => {
    const tries = [];
    for (let i = 0; i < 6; i++) tries.push((await login('head@example.org', `wrong-${i}`)).status);
    expect(tries).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await login('head@example.org', 'demo');
    expect(limited.status).toBe(429);
    expect(limited.contentType).toContain('application/problem+json');

    // Signing in with the right password never counts: an office of many people signs in at nine o'clock.
    const rights = [];
    for (let i = 0; i < 8; i++) rights.push((await login('officer@example.org', 'demo')).status);
    expect(rights.every((s) => s === 200)).toBe(true);

    // The address limit (30 wrong passwords a minute) counts this client whatever address it claims to forward for.
    const statuses = [];
    for (let i = 0; i < 30; i++) {
      statuses.push((await login(`nobody-${i}@example.org`, 'x', { 'x-forwarded-for': `203.0.113.${i}` })).status);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  }, 60_000);
});
