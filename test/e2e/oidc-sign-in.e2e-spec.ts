/**
 * Staff sign-in through the council's identity provider (ADR 0011), end to end: a real OpenID
 * Connect provider (oidc-provider, in its own process) with this system's client registered, the
 * system as `npm start` runs it with the OIDC_* settings, and the browser's part played by fetch
 * with a cookie jar: the sign-in page's button, the provider's login and consent forms, the
 * callback, and the session cookie it sets. Then the same in chromium, as a person clicks it, with
 * axe-core on this system's pages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser as Chromium, Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot } from '../browser/browser-support';
import { apiClient, eventually, freePort, startSystem, type RunningSystem } from '../support/system';

jest.setTimeout(120_000);

const CLIENT = { clientId: 'send-case-comms', clientSecret: 'oidc-test-client-secret-0123456789' };
const ACCOUNTS = {
  'olu-sub': {
    name: 'Olu Council-Officer',
    email: 'olu@council.example.gov.uk',
    email_verified: true,
    groups: ['All staff', 'SEND officers', 'SEND north'],
  },
  'mo-sub': {
    name: 'Mo Council-Manager',
    email: 'mo@council.example.gov.uk',
    email_verified: true,
    groups: ['SEND managers', 'SEND north'],
  },
  'fin-sub': { name: 'Finn Finance', email: 'finn@council.example.gov.uk', email_verified: true, groups: ['All staff', 'Finance'] },
};

let provider: ChildProcess;
let providerOutput = '';
let issuer: string;
let system: RunningSystem;
let app: string;

beforeAll(async () => {
  const [providerPort, appPort] = [await freePort(), await freePort()];
  app = `http://127.0.0.1:${appPort}`;
  provider = spawn(process.execPath, [join(__dirname, '../support/oidc-test-provider.mjs')], {
    env: {
      ...process.env,
      OIDC_TEST_PROVIDER: JSON.stringify({
        port: providerPort,
        ...CLIENT,
        redirectUri: `${app}/sign-in/oidc/callback`,
        accounts: ACCOUNTS,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  provider.stdout!.on('data', (d) => (providerOutput += d));
  provider.stderr!.on('data', (d) => (providerOutput += d));
  issuer = (await eventually(
    () => /oidc-provider ready (\S+)/.exec(providerOutput)?.[1],
    20_000,
    `the provider to start:\n${providerOutput}`,
  ))!;

  system = await startSystem({
    DEMO: 'true',
    PORT: String(appPort),
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: CLIENT.clientId,
    OIDC_CLIENT_SECRET: CLIENT.clientSecret,
    OIDC_REDIRECT_URL: `${app}/sign-in/oidc/callback`,
    OIDC_ROLE_CLAIM: 'groups',
    OIDC_ROLE_MAP: 'SEND officers=officer,SEND managers=team_manager',
    OIDC_TEAM_CLAIM: 'groups',
    OIDC_TEAM_MAP: 'SEND north=north,SEND south=south',
  });
}, 90_000);

afterAll(async () => {
  await system?.interrupt();
  provider?.kill('SIGTERM');
});

/** A browser's cookies, as far as these tests need: by host name (not port, as browsers do), path-scoped, deleted by an expiry. */
class Browser {
  private readonly cookies = new Map<string, { value: string; path: string; host: string }>();

  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  setCookie(name: string, value: string, url: string, path = '/') {
    this.cookies.set(name, { value, path, host: new URL(url).hostname });
  }

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => c.host === target.hostname && target.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split('=')[1];
      const expired = attr('max-age') === '0' || (attr('expires') !== undefined && Date.parse(attr('expires')!) <= Date.now());
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr('path') ?? '/', host: target.hostname });
    }
    return res;
  }

  /** Follows redirects until `stop(url)` (not fetched) or a page that is not a redirect; returns the last response and its URL. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}, stop: (next: URL) => boolean = () => false) {
    let res = await this.request(url, init);
    let at = url;
    while (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, at);
      if (stop(next)) return { res, url: at, next };
      at = next.href;
      res = await this.request(at);
    }
    return { res, url: at, next: null };
  }
}

/** The provider's dev interactions: its login form (any password), then its consent form; returns where the provider sends the browser back. */
async function signInAtProvider(browser: Browser, sub: string): Promise<URL> {
  const backToApp = (next: URL) => next.origin === app;
  const start = await browser.follow(`${app}/sign-in/oidc`, {}, backToApp);
  expect(start.url).toMatch(new RegExp(`^${issuer}/interaction/`));
  expect(await start.res.text()).toContain('name="login"');
  const login = await browser.follow(start.url, { method: 'POST', form: { prompt: 'login', login: sub, password: 'any' } }, backToApp);
  if (login.next) return login.next;
  expect(await login.res.text()).toContain('value="consent"');
  const consent = await browser.follow(login.url, { method: 'POST', form: { prompt: 'consent' } }, backToApp);
  expect(consent.next).not.toBeNull();
  return consent.next!;
}

const bearer = (browser: Browser) => apiClient(app).as(browser.cookie('session')!);

describe('staff sign-in through the council identity provider (OpenID Connect)', () => {
  it('offers "Sign in with your council account" above the local form, which still signs in demo users', async () => {
    const browser = new Browser();
    const page = await (await browser.request(`${app}/sign-in`)).text();
    expect(page).toContain('Sign in with your council account');
    expect(page).toContain('href="/sign-in/oidc"');
    expect(page.indexOf('/sign-in/oidc')).toBeLessThan(page.indexOf('action="/sign-in"'));
    await expect(apiClient(app).login('officer@example.org')).resolves.toEqual(expect.any(String));
  });

  it('sends the browser to the provider with a PKCE challenge, state and nonce, kept in a short-lived signed httpOnly cookie', async () => {
    const browser = new Browser();
    const res = await browser.request(`${app}/sign-in/oidc`);
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(issuer);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: `${app}/sign-in/oidc/callback`,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
    });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('oidc_pending='))!;
    expect(cookie).toMatch(/; Max-Age=600/);
    expect(cookie).toMatch(/; Path=\/sign-in\/oidc/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    // Signed: value.signature; what it keeps is never shown to the provider.
    const kept = decodeURIComponent(cookie.slice('oidc_pending='.length, cookie.indexOf(';')));
    expect(kept).toMatch(/^[\w-]+\.[\w+/%-]+$/);
    expect(to.href).not.toContain(JSON.parse(Buffer.from(kept.split('.')[0], 'base64url').toString()).codeVerifier);
  });

  it('signs an officer in: the code flow with PKCE, a session for their role and team, and the requests page open to them', async () => {
    const browser = new Browser();
    const callback = await signInAtProvider(browser, 'olu-sub');
    expect(callback.pathname).toBe('/sign-in/oidc/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();

    const landing = await browser.request(callback.href);
    expect(landing.status).toBe(303);
    expect(landing.headers.get('location')).toBe('/queue');
    expect(browser.cookie('session')).toBeTruthy();
    expect(browser.cookie('oidc_pending')).toBeUndefined();

    const requests = await browser.request(`${app}/requests`);
    expect(requests.status).toBe(200);
    expect(await requests.text()).toContain('My queue');

    const me = await bearer(browser).get('/api/queue');
    expect(me.status).toBe(200);
  });

  it('registers the council account as an officer the rest of the system knows: a manager signed in the same way assigns them a request, and it is in their queue under their name', async () => {
    const officer = new Browser();
    await officer.request((await signInAtProvider(officer, 'olu-sub')).href);
    const manager = new Browser();
    const managed = await manager.request((await signInAtProvider(manager, 'mo-sub')).href);
    expect(managed.headers.get('location')).toBe('/alerts');

    const parent = apiClient(app).as(await apiClient(app).login('parent@example.org'));
    const submitted = await parent.post('/api/requests', {
      caseRef: 'C-1001',
      category: 'annual_review',
      subject: 'Annual review date',
      message: 'When is the meeting?',
    });
    expect(submitted.status).toBe(201);

    // The officer's id, as the session (the API's token) carries it: a UUID from the issuer and subject.
    const officerId = JSON.parse(Buffer.from(officer.cookie('session')!.split('.')[1], 'base64url').toString()).sub as string;
    expect(officerId).toMatch(/^[0-9a-f-]{36}$/);
    const assigned = await bearer(manager).post(`/api/requests/${submitted.body.id}/assign`, { officerId });
    expect(assigned.status).toBe(200);

    await eventually(
      async () => {
        const queue = await bearer(officer).get('/api/queue');
        return queue.status === 200 && JSON.stringify(queue.body).includes(submitted.body.id);
      },
      15_000,
      "the request in the council officer's queue",
    );
    // The users read model knows their name from the registration: the request shows who has it.
    const view = await eventually(
      async () => {
        const res = await bearer(officer).get(`/api/requests/${submitted.body.id}`);
        return res.body?.assignee?.name ? res.body : null;
      },
      15_000,
      "the assignee's name on the request",
    );
    expect(view.assignee).toEqual({ id: officerId, name: 'Olu Council-Officer' });
    expect(view.teamId).toBe('north');
  });

  it('refuses an account in no mapped group: 403 "You do not have access", and no session', async () => {
    const browser = new Browser();
    const callback = await signInAtProvider(browser, 'fin-sub');
    const refused = await browser.request(callback.href);
    expect(refused.status).toBe(403);
    const page = await refused.text();
    expect(page).toContain('You do not have access');
    expect(page).toContain('Finn Finance');
    expect(browser.cookie('session')).toBeUndefined();
    const requests = await browser.request(`${app}/requests`);
    expect(requests.status).toBe(303);
    expect(requests.headers.get('location')).toBe('/sign-in');
  });

  it('refuses a tampered state, a tampered pending-sign-in cookie and a replayed callback, with no session', async () => {
    const browser = new Browser();
    const callback = await signInAtProvider(browser, 'olu-sub');
    const pending = browser.cookie('oidc_pending')!;

    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'not-the-state-we-sent');
    const badState = await browser.request(tampered.href);
    expect(badState.status).toBe(400);
    expect(await badState.text()).toContain('Sign in did not work');
    expect(browser.cookie('session')).toBeUndefined();

    // The cookie is signed: a changed value (e.g. a state of the attacker's choosing) is refused before anything else.
    const [value, signature] = [pending.slice(0, pending.lastIndexOf('.')), pending.slice(pending.lastIndexOf('.') + 1)];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(decodeURIComponent(value), 'base64url').toString()), state: 'forged' }),
    ).toString('base64url');
    browser.setCookie('oidc_pending', `${forged}.${signature}`, app, '/sign-in/oidc');
    const forgedCookie = await browser.request(callback.href);
    expect(forgedCookie.status).toBe(400);
    expect(browser.cookie('session')).toBeUndefined();

    // The real cookie and the provider's real answer: the refusals above were the tampering, not the flow.
    browser.setCookie('oidc_pending', pending, app, '/sign-in/oidc');
    const signedIn = await browser.request(callback.href);
    expect(signedIn.status).toBe(303);
    expect(browser.cookie('session')).toBeTruthy();

    // Replayed (the same state and code again): the code is spent, so no second session.
    const other = new Browser();
    other.setCookie('oidc_pending', pending, app, '/sign-in/oidc');
    const replayed = await other.request(callback.href);
    expect(replayed.status).toBe(400);
    expect(other.cookie('session')).toBeUndefined();
  });
});

describe('staff sign-in through the council identity provider, in chromium', () => {
  let chromium: Chromium;
  beforeAll(async () => {
    chromium = await launchBrowser();
  });
  afterAll(async () => chromium?.close());

  /** Through the provider's own pages: its login form, then its consent form when it asks. They load a web font from the internet, so wait for their DOM only. */
  async function signInWithCouncilAccount(page: Page, sub: string): Promise<void> {
    const backHere = (url: URL) => url.origin === app;
    await page.goto(`${app}/sign-in`);
    await Promise.all([
      page.waitForURL(new RegExp(`^${issuer}/interaction/`), { waitUntil: 'domcontentloaded' }),
      page.click('text=Sign in with your council account'),
    ]);
    await page.fill('input[name="login"]', sub);
    await page.fill('input[name="password"]', 'any');
    const consent = page.locator('button:has-text("Continue")');
    await page.click('button:has-text("Sign-in")', { noWaitAfter: true });
    await Promise.race([consent.waitFor(), page.waitForURL(backHere, { waitUntil: 'domcontentloaded' })]);
    if (!backHere(new URL(page.url()))) await Promise.all([page.waitForURL(backHere, { waitUntil: 'domcontentloaded' }), consent.click()]);
  }

  it('signs an officer in from the button on the sign-in page, and the pages know them', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(`${app}/sign-in`);
    await expectAccessible(page);
    await screenshot(page, 'staff-sign-in-oidc');
    await signInWithCouncilAccount(page, 'olu-sub');
    await page.waitForURL((url) => url.origin === app && !url.pathname.startsWith('/sign-in'));
    expect(new URL(page.url()).pathname).toBe('/queue');
    await page.goto(`${app}/requests`);
    expect(await page.locator('.govuk-service-navigation').innerText()).toContain('My queue');
    await context.close();
  });

  it('shows an account in no mapped group "You do not have access", accessibly, and signs nobody in', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await signInWithCouncilAccount(page, 'fin-sub');
    await page.waitForURL((url) => url.origin === app);
    expect(await page.locator('h1').innerText()).toBe('You do not have access');
    await expectAccessible(page);
    await screenshot(page, 'staff-sign-in-oidc-no-access');
    expect((await context.cookies(app)).map((c) => c.name)).not.toContain('session');
    await context.close();
  });
});
