/**
 * The family's pages in a real browser: Debian's chromium driven by playwright-core against the
 * system as `npm start` runs it (built api + worker, DEMO=true). axe-core checks every page visited.
 * No browser is downloaded: `npm test` installs Debian's chromium when missing (scripts/lib/chromium.js),
 * and when it cannot, these tests fail saying so.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startSystem, type RunningSystem } from '../support/system';
import { govukDateTime } from '../../apps/api/src/web/web-words';
import { expectAccessible, launchBrowser, screenshot } from './browser-support';

jest.setTimeout(120_000);

let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem({ DEMO: 'true' }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.interrupt();
});

async function signIn(page: Page, email: string, check = true): Promise<void> {
  await page.goto(`${system.baseUrl}/sign-in`);
  if (check) await expectAccessible(page);
  await page.fill('#email', email);
  await page.fill('#password', 'demo');
  await Promise.all([page.waitForURL(`${system.baseUrl}/requests`), page.click('button:has-text("Sign in")')]);
}

/** Fills and sends the form; `leaveOut` names one required field to leave empty. */
async function sendRequest(page: Page, subject: string, leaveOut?: 'message'): Promise<void> {
  await page.goto(`${system.baseUrl}/requests/new`);
  await page.check('input[name="caseRef"][value="C-1001"]');
  await page.check('input[name="category"][value="annual_review"]');
  await page.fill('#subject', subject);
  if (leaveOut !== 'message') await page.fill('#message', 'When is the annual review meeting? Nobody has told us a date.');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button:has-text("Send")')]);
}

describe('the family pages in chromium', () => {
  let context: BrowserContext;
  afterEach(async () => context?.close());

  it('shows the start page with the promise from the policy, and GOV.UK 404 page, both accessible', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(system.baseUrl + '/');
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('main').innerText()).toMatch(/We will reply within 3 working days\. If you get in touch now, we will reply by (the end of|\d)/);
    // govuk-frontend's own stylesheet is served and applied (no CDN).
    const font = await page
      .locator('.govuk-heading-xl')
      .evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { fontFamily: string } }).getComputedStyle(el).fontFamily);
    expect(font).toContain('GDS Transport');
    await expectAccessible(page);
    await screenshot(page, 'everyone-start');
    for (const path of ['/accessibility', '/privacy']) {
      await page.goto(system.baseUrl + path);
      await expectAccessible(page);
      await screenshot(page, `everyone${path.replace('/', '-')}`);
    }
    const missing = await page.goto(`${system.baseUrl}/no-such-page`);
    expect(missing!.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Page not found');
    await expectAccessible(page);
    await screenshot(page, 'everyone-not-found');
  });

  it('a parent signs in, sees the error summary, sends a request, finds it in "Your requests" and chases it', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${system.baseUrl}/sign-in`);
    await page.click('button:has-text("Sign in")');
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Enter your email address');
    await expectAccessible(page);
    await signIn(page, 'parent@example.org', false);
    const cookie = (await context.cookies()).find((c) => c.name === 'session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
    await expectAccessible(page);

    await sendRequest(page, 'Annual review date', 'message');
    expect(page.url()).toBe(`${system.baseUrl}/requests/new`);
    const summary = page.locator('.govuk-error-summary');
    expect(await summary.innerText()).toContain('Enter your message');
    expect(await summary.locator('a').getAttribute('href')).toBe('#message');
    expect(await page.locator('#message-error').innerText()).toContain('Enter your message');
    expect(await page.inputValue('#subject')).toBe('Annual review date'); // what they typed is kept
    await expectAccessible(page);
    await screenshot(page, 'family-new-request-errors');

    await sendRequest(page, 'Annual review date');
    expect(page.url()).toMatch(new RegExp(`^${system.baseUrl}/requests/[0-9a-f-]{36}\\?submitted=1$`));
    const reference = (await page.locator('.govuk-panel__body strong').innerText()).trim();
    expect(reference).toMatch(/^SEND-\d{4}-\d{6}$/);
    const facts = await page.locator('.govuk-summary-list').innerText();
    expect(facts).toMatch(/Reply due\s+By (the end of|\d)/);
    expect(facts).toMatch(/Dealing with it\s+\w+, SEND officer/);
    expect(facts).toMatch(/Escalated\s+No/);
    await expectAccessible(page);
    await screenshot(page, 'family-request-sent');
    const requestUrl = page.url().replace('?submitted=1', '');

    await page.click('a:has-text("Your requests")');
    await page.waitForURL(`${system.baseUrl}/requests`);
    const row = page.locator('tr', { hasText: reference });
    expect(await row.innerText()).toContain('Annual review date');
    await expectAccessible(page);
    await screenshot(page, 'family-requests');

    await page.goto(requestUrl);
    for (let tries = 1; tries <= 3; tries++) {
      // The same URL after each press: wait for the page the post redirects to, not for the URL.
      await page.check('input[name="channel"][value="portal"]');
      await Promise.all([
        page.waitForResponse((r) => r.url() === `${requestUrl}?done=tried` && r.request().method() === 'GET'),
        page.click('button:has-text("I tried to get in touch again")'),
      ]);
      await page.waitForLoadState('domcontentloaded');
      const count = new RegExp(`Times you tried since our last reply\\s+${tries}\\b`);
      await eventually(async () => count.test(await page.locator('.govuk-summary-list').innerText()), 5_000, `try ${tries} on the page`);
    }
    expect(await page.locator('.govuk-notification-banner').innerText()).toContain('tried to get in touch again');
    // The third unanswered try is the policy's threshold: escalated to the team manager, named by role only.
    // (raised by the worker's process manager, so it may take a moment to show)
    await eventually(async () => {
      await page.reload();
      return /Escalated\s+Yes, to the SEND team manager/.test(await page.locator('.govuk-summary-list').innerText());
    }, 15_000, 'the escalation on the request page');
    expect(await page.locator('.moj-timeline').innerText()).toContain('Tried to get in touch again');
    await expectAccessible(page);
    await screenshot(page, 'family-request');
  });

  it('says a reply is late once its time has passed, in "Your requests" and on the request', async () => {
    // A letter about the child's case that arrived ten days ago, filed by the officer: its first
    // reply (3 working days) was due a week ago.
    const officer = apiClient(system.baseUrl).as(await apiClient(system.baseUrl).login('officer@example.org'));
    const receivedAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const filed = await officer.post('/api/requests', {
      caseRef: 'C-1001',
      category: 'transport',
      subject: 'Letter about the bus pass',
      message: 'We wrote about the bus pass and have heard nothing.',
      channel: 'letter',
      receivedAt,
      requester: { role: 'parent', name: 'Alex Parent' },
    });
    expect(filed.status).toBe(201);

    context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'parent@example.org', false);
    const row = page.locator('tr', { hasText: filed.body.reference });
    await eventually(
      async () => {
        await page.reload();
        return (await row.count()) === 1;
      },
      15_000,
      'the letter in "Your requests"',
    );
    expect(await row.locator('.govuk-tag--red').innerText()).toBe('Late');
    expect(await row.innerText()).toMatch(/We said we would reply by (the end of|\d)/);
    await expectAccessible(page);

    await page.goto(`${system.baseUrl}/requests/${filed.body.id}`);
    const facts = page.locator('.govuk-summary-list');
    expect(await facts.innerText()).toMatch(/Reply due\s+Late\s+We said we would reply by (the end of|\d)/);
    // The timeline dates the letter by when it came, not when it was filed today.
    const sent = page.locator('.moj-timeline__item', { hasText: 'Request sent' });
    expect(await sent.locator('.moj-timeline__date').innerText()).toBe(govukDateTime(receivedAt));
    await expectAccessible(page);
    await screenshot(page, 'family-request-late');
  });

  it('works with JavaScript off: sign in, the error summary, and a request sent', async () => {
    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, 'parent@example.org', false);
    await sendRequest(page, 'Transport from September', 'message');
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Enter your message');
    await sendRequest(page, 'Transport from September');
    expect(page.url()).toMatch(/\/requests\/[0-9a-f-]{36}\?submitted=1$/);
    expect(await page.locator('.govuk-panel__body strong').innerText()).toMatch(/^SEND-\d{4}-\d{6}$/);
  });

  it('refuses a form without its CSRF token, and a page without a session sends you to sign in', async () => {
    const noToken = await fetch(`${system.baseUrl}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'email=parent%40example.org&password=demo',
      redirect: 'manual',
    });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.get('set-cookie') ?? '').not.toContain('session=');
    const signedOut = await fetch(`${system.baseUrl}/requests/new`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/sign-in');
  });

  it('limits sign-in attempts per account email: the sixth wrong password in a minute is refused', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto(`${system.baseUrl}/sign-in`);
      await page.fill('#email', 'senco@example.org');
      await page.fill('#password', `wrong-${i}`);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${system.baseUrl}/sign-in` && r.request().method() === 'POST'),
        page.click('button:has-text("Sign in")'),
      ]);
      statuses.push(answer.status());
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    expect(await page.locator('h1').innerText()).toBe('Too many attempts to sign in');
    await expectAccessible(page);
  });
});
