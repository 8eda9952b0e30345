/**
 * Issue 11's journey, across the people it is for, on the system as `npm start` runs it, in Debian's
 * chromium, once with JavaScript on and once with it off (every page must work without it):
 *   1. a parent signs in, sends a request (after sending the form empty: the error summary links to
 *      each field), sees the confirmation with its reference, and tries again three times;
 *   2. the team manager's alerts page shows the alert (with JavaScript, without a reload) and they
 *      acknowledge it;
 *   3. the officer finds the request at the top of their queue and sends a holding reply, then a
 *      full reply;
 *   4. the parent's page shows the replies, the escalation closed, and the due dates in words;
 *   and the data protection officer's access log shows the officer's reads of it.
 * axe-core checks each page on the way (browser-support's expectAccessible).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, startSystem, type RunningSystem } from '../support/system';
import { expectAccessible, launchBrowser, screenshot, signIn } from './browser-support';

jest.setTimeout(180_000);

let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem({ DEMO: 'true' }), launchBrowser()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.interrupt();
});

/** Presses a button and waits for the page the post answers with (a redirect's page, or the form again). */
async function press(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.locator(`button:has-text("${button}")`).first().click()]);
}

const facts = (page: Page) => page.locator('.govuk-summary-list').first().innerText();

describe.each([
  ['with JavaScript', true],
  ['with JavaScript off', false],
])('one request, from a family to a reply, %s', (label, javaScriptEnabled) => {
  const contexts: BrowserContext[] = [];
  const newPage = async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    contexts.push(context);
    return context.newPage();
  };
  const shot = (page: Page, name: string) => screenshot(page, javaScriptEnabled ? name : `${name}-nojs`);
  // axe runs in the page, which it cannot with JavaScript off: the run with JavaScript checks the same pages.
  const accessible = (page: Page) => (javaScriptEnabled ? expectAccessible(page) : Promise.resolve());
  afterAll(async () => Promise.all(contexts.map((c) => c.close())));

  it('the parent asks and chases, the manager acknowledges the alert, the officer replies, and the parent sees it', async () => {
    const subject = `Our son's annual review (${label})`;

    // 1. The parent: the form sent empty, then filled; the confirmation; three more tries.
    const parent = await newPage();
    await signIn(parent, system.baseUrl, 'parent@example.org');
    await parent.goto(`${system.baseUrl}/requests/new`);
    await press(parent, 'Send');
    const summary = parent.locator('.govuk-error-summary');
    const links = [];
    for (const link of await summary.locator('a').all()) links.push(await link.getAttribute('href'));
    expect(links).toEqual(['#caseRef', '#category', '#subject', '#message']);
    for (const field of ['caseRef', 'category', 'subject', 'message']) expect(await parent.locator(`#${field}-error`).count()).toBe(1);
    await accessible(parent);
    await shot(parent, 'journey-family-form-errors');

    await parent.check('input[name="caseRef"][value="C-1001"]');
    await parent.check('input[name="category"][value="annual_review"]');
    await parent.fill('#subject', subject);
    await parent.fill('#message', 'The review was due in October. Nobody has told us a date.');
    await press(parent, 'Send');
    expect(parent.url()).toMatch(/\/requests\/[0-9a-f-]{36}\?submitted=1$/);
    const reference = (await parent.locator('.govuk-panel__body strong').innerText()).trim();
    expect(reference).toMatch(/^SEND-\d{4}-\d{6}$/);
    expect(await parent.locator('main').innerText()).toMatch(/We will reply by (the end of \w+day \d+ \w+|\d)/);
    await accessible(parent);
    const requestUrl = parent.url().replace('?submitted=1', '');

    // The team manager has the alerts page open before the family's third try.
    const manager = await newPage();
    await signIn(manager, system.baseUrl, 'manager@example.org');
    expect(new URL(manager.url()).pathname).toBe('/alerts');
    if (javaScriptEnabled) await manager.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));

    await parent.goto(requestUrl);
    for (let tries = 1; tries <= 3; tries++) {
      await parent.check(`input[name="channel"][value="${tries === 2 ? 'email' : 'phone'}"]`);
      await press(parent, 'I tried to get in touch again');
      expect(await facts(parent)).toMatch(new RegExp(`Times you tried since our last reply\\s+${tries}\\b`));
    }
    await eventually(
      async () => {
        await parent.reload();
        return /Escalated\s+Yes, to the SEND team manager/.test(await facts(parent));
      },
      20_000,
      'the escalation on the family’s page',
    );
    await accessible(parent);

    // 2. The manager: the alert, without a reload when JavaScript runs; acknowledged.
    const row = manager.locator('#alerts-table tr', { hasText: reference });
    await eventually(
      async () => {
        if (!javaScriptEnabled) await manager.reload();
        return (await row.count()) === 1;
      },
      30_000,
      'the alert on the manager’s page',
    );
    if (javaScriptEnabled) expect(await manager.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await row.innerText()).toMatch(/Level 1: SEND team manager[\s\S]*Tried 3 times with no reply/);
    await accessible(manager);
    await shot(manager, 'journey-manager-alert');
    await Promise.all([manager.waitForURL(/\/alerts\?acknowledged=/), row.locator('button:has-text("Acknowledge")').click()]);
    expect(await manager.locator('#alerts-table tr', { hasText: reference }).innerText()).toMatch(/acknowledged/i);

    // 3. The officer: the escalated request at the top of their queue; a holding reply, then a full one.
    const officer = await newPage();
    await signIn(officer, system.baseUrl, 'officer@example.org');
    expect(new URL(officer.url()).pathname).toBe('/queue');
    const top = officer.locator('main tbody tr').first();
    expect(await top.innerText()).toContain(reference);
    expect(await top.innerText()).toMatch(/Escalated/i);
    await accessible(officer);
    await shot(officer, 'journey-officer-queue');
    await Promise.all([officer.waitForNavigation(), top.locator('a').first().click()]);
    expect(officer.url()).toBe(requestUrl);

    await officer.check('input[name="kind"][value="holding"]');
    await officer.check('input[name="channel"][value="phone"]');
    await officer.fill('#summary', 'We are finding a date with the school and will write by Friday.');
    await press(officer, 'Record the reply');
    expect(officer.url()).toBe(`${requestUrl}?done=holding`);

    // 4a. Between the replies, the family sees the holding reply and when they will hear again, in words.
    await parent.goto(requestUrl);
    const held = await facts(parent);
    expect(held).toMatch(/Reply due\s+By (the end of \w+day \d+ \w+|\d)/);
    expect(held).toMatch(/Times you tried since our last reply\s+0\b/);
    expect(await parent.locator('.moj-timeline').innerText()).toContain('finding a date with the school');

    await officer.check('input[name="kind"][value="full"]');
    await officer.check('input[name="channel"][value="email"]');
    await officer.fill('#summary', 'The annual review is on 12 January at 10am, at the school.');
    await press(officer, 'Record the reply');
    expect(officer.url()).toBe(`${requestUrl}?done=responded`);
    await accessible(officer);

    // 4b. The family's page: the reply, the escalation closed, nothing due.
    await eventually(
      async () => {
        await parent.goto(requestUrl);
        return /Escalated\s+No/.test(await facts(parent));
      },
      20_000,
      'the escalation closed on the family’s page',
    );
    expect(await facts(parent)).toMatch(/Reply due\s+Replied/);
    const history = await parent.locator('.moj-timeline').innerText();
    expect(history).toContain('The annual review is on 12 January');
    expect(history).toContain('Escalation closed');
    await accessible(parent);
    await shot(parent, 'journey-family-request');

    // The data protection officer sees who of the staff read this child's request; the family's own reads are not staff access.
    const dpo = await newPage();
    await signIn(dpo, system.baseUrl, 'dpo@example.org');
    expect(new URL(dpo.url()).pathname).toBe('/access-log');
    await dpo.fill('#caseRef', 'C-1001');
    await press(dpo, 'Show reads');
    const requestId = new URL(requestUrl).pathname.split('/').pop()!;
    const reads = dpo.locator('main tbody tr', { hasText: `Request ${requestId.slice(0, 8)}` });
    expect(await reads.count()).toBeGreaterThan(0);
    expect(await reads.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/Olu Officer[\s\S]*SEND officer[\s\S]*C-1001/)]));
    expect((await reads.allInnerTexts()).some((t) => /Pat Parent/.test(t))).toBe(false);
    await accessible(dpo);
    await shot(dpo, 'journey-dpo-access-log');
  });
});
