/**
 * The officers' pages in a real browser (chromium through playwright-core) against the system as
 * `npm start` runs it (built api + worker, DEMO=true): the queues, the staff request page and its
 * actions, availability; and the family's "tried by phone" and "Reopen this request". axe-core
 * checks every page visited. The tests run in order: each starts where the one before left off.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startSystem, type RunningSystem } from '../support/system';
import { expectAccessible, launchBrowser, screenshot, signIn } from './browser-support';

jest.setTimeout(120_000);

let system: RunningSystem;
let browser: Browser;
/** Two requests from the demo parent on C-1001 (north team, officer@example.org), and one for a case nobody knows (triage). */
const sent: Array<{ id: string; reference: string }> = [];
let triaged: { id: string; reference: string };

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem({ DEMO: 'true' }), launchBrowser()]);
  const api = apiClient(system.baseUrl);
  const parent = api.as(await api.login('parent@example.org'));
  for (const subject of ['Annual review date', 'Transport from September']) {
    const res = await parent.post('/api/requests', { caseRef: 'C-1001', category: 'annual_review', subject, message: `About: ${subject}` });
    expect(res.status).toBe(201);
    sent.push({ id: res.body.id, reference: res.body.reference });
  }
  const lost = await parent.post('/api/requests', { caseRef: 'C-9999', category: 'general', subject: 'Which team is ours?', message: 'We have moved.' });
  expect(lost.status).toBe(201);
  triaged = { id: lost.body.id, reference: lost.body.reference };
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.interrupt();
});

/** Submits a form by its button and waits for the page the post answers with (a redirect's page, or the form again). */
async function press(page: Page, button: string, form?: string): Promise<void> {
  const scope = form ? page.locator(`form[action$="${form}"]`) : page;
  await Promise.all([page.waitForNavigation(), scope.locator(`button:has-text("${button}")`).click()]);
}

/** Waits until the queue page lists the reference (the projection runs a few ms behind the API). */
async function untilListed(page: Page, path: string, reference: string): Promise<void> {
  await eventually(async () => {
    await page.goto(system.baseUrl + path);
    return (await page.locator('main').innerText()).includes(reference);
  }, 10_000, `${reference} on ${path}`);
}

describe('the officer pages in chromium', () => {
  let context: BrowserContext;
  afterEach(async () => context?.close());

  it('an officer works the top of their queue: errors, a holding then a full reply, priority, team queue, triage, availability', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'officer@example.org');
    expect(new URL(page.url()).pathname).toBe('/queue');
    await untilListed(page, '/queue', sent[1]!.reference);
    expect(await page.locator('h1').innerText()).toBe('My queue');
    expect(await page.locator('table[data-module="moj-sortable-table"] tbody tr').count()).toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'officer-queue');

    // The top row, most urgent first as the API orders it.
    const top = page.locator('tbody tr').first().locator('a');
    const reference = (await top.innerText()).trim();
    const current = sent.find((s) => s.reference === reference)!;
    expect(current).toBeDefined();
    await Promise.all([page.waitForNavigation(), top.click()]);
    expect(page.url()).toBe(`${system.baseUrl}/requests/${current.id}`);
    expect(await page.locator('main').innerText()).toContain(`About: `); // the family's message, for staff

    // Sent empty: the error summary links to each field, and each field says what is wrong.
    await press(page, 'Record the reply');
    const summary = page.locator('.govuk-error-summary');
    expect(await summary.innerText()).toContain('Select whether this is a holding reply or a full reply');
    expect(await summary.innerText()).toContain('Enter what you told the family');
    expect(await summary.locator('a[href="#summary"]').count()).toBe(1);
    expect(await summary.locator('a[href="#kind"]').count()).toBe(1);
    expect(await page.locator('#summary-error').innerText()).toContain('Enter what you told the family');
    expect(await page.title()).toMatch(/^Error: /);
    await expectAccessible(page);

    await page.check('#kind'); // holding
    await page.check('input[name="channel"][value="phone"]');
    await page.fill('#summary', 'Called to say we are finding the date with the school.');
    await press(page, 'Record the reply');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${current.id}?done=holding`);
    expect(await page.locator('.govuk-notification-banner').innerText()).toContain('Your holding reply is recorded.');

    await page.check('input[name="kind"][value="full"]');
    await page.check('input[name="channel"][value="email"]');
    await page.fill('#summary', 'The annual review is on 12 January at 10am, at the school.');
    await press(page, 'Record the reply');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${current.id}?done=responded`);
    const history = await page.locator('.moj-timeline').innerText();
    expect(history).toContain('Holding reply');
    expect(history).toContain('finding the date with the school');
    expect(history).toContain('The annual review is on 12 January');
    await expectAccessible(page);
    await screenshot(page, 'officer-request');

    await page.check('input[name="priority"][value="urgent"]');
    await press(page, 'Set priority');
    expect(await page.locator('.govuk-notification-banner').innerText()).toContain('The priority is changed.');
    await page.goto(`${system.baseUrl}/queue`);
    expect(await page.locator('tr', { hasText: reference }).locator('.moj-badge').allTextContents()).toContain('Urgent');

    await page.goto(`${system.baseUrl}/queue/team`);
    expect(await page.locator('h1').innerText()).toBe('Team queue: north');
    await expectAccessible(page);
    await screenshot(page, 'officer-team-queue');

    await untilListed(page, '/queue/triage', triaged.reference);
    await expectAccessible(page);
    await screenshot(page, 'officer-triage');
    // From triage to its case: it goes to the north team and to this officer, the case officer.
    await Promise.all([page.waitForNavigation(), page.locator('a', { hasText: triaged.reference }).click()]);
    await page.fill('#caseRef', 'C-1001');
    await press(page, 'Send it on');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${triaged.id}?done=routed`);
    expect(await page.locator('.govuk-summary-list').innerText()).toMatch(/Team\s+The north team/);

    await page.goto(`${system.baseUrl}/availability`);
    const year = new Date().getUTCFullYear() + 1;
    await page.fill('#awayFrom-day', '4');
    await page.fill('#awayFrom-month', '1');
    await page.fill('#awayFrom-year', String(year));
    await press(page, 'Save my time away');
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Enter the last day you are away');
    await page.fill('#awayUntil-day', '8');
    await page.fill('#awayUntil-month', '1');
    await page.fill('#awayUntil-year', String(year));
    await press(page, 'Save my time away');
    expect(page.url()).toBe(`${system.baseUrl}/availability?done=away`);
    expect(await page.locator('.govuk-inset-text').innerText()).toContain(`You will be away from 4 January ${year} to 8 January ${year}`);
    await expectAccessible(page);
    await screenshot(page, 'officer-availability');
    await press(page, 'I’m back');
    expect(await page.locator('.govuk-notification-banner').innerText()).toContain('You are back');
    expect(await page.locator('.govuk-inset-text').count()).toBe(0);
  });

  it('works with JavaScript off: the queue, a reply, closing a request, and a service manager choosing a team', async () => {
    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'officer@example.org');
    const row = page.locator('tr', { hasText: sent[1]!.reference });
    await Promise.all([page.waitForNavigation(), row.locator('a').click()]);
    expect(page.url()).toBe(`${system.baseUrl}/requests/${sent[1]!.id}`);
    await page.check('input[name="kind"][value="full"]');
    await page.check('input[name="channel"][value="portal"]');
    await page.fill('#summary', 'Transport is agreed from September; the letter is in the post.');
    await press(page, 'Record the reply');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${sent[1]!.id}?done=responded`);

    await press(page, 'Close the request');
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Enter how it was resolved');
    await page.fill('#outcome', 'Transport agreed.');
    await press(page, 'Close the request');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${sent[1]!.id}?done=resolved`);
    expect(await page.locator('.govuk-summary-list').innerText()).toMatch(/Status\s+Closed/);

    // A service manager chooses the team whose queue to see (a GET form: no script needed).
    await page.goto(`${system.baseUrl}/sign-out`);
    await signIn(page, system.baseUrl, 'service.manager@example.org');
    await page.goto(`${system.baseUrl}/queue/team`);
    await page.selectOption('#teamId', 'north');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Show the team’s queue")')]);
    expect(page.url()).toBe(`${system.baseUrl}/queue/team?teamId=north`);
    expect(await page.locator('h1').innerText()).toBe('Team queue: north');
  });

  it('the family says they tried by phone, and reopens a closed request', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'parent@example.org');
    await page.goto(`${system.baseUrl}/requests/${sent[0]!.id}`);
    await press(page, 'I tried to get in touch again');
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Select how you tried to get in touch');
    await page.check('input[name="channel"][value="phone"]');
    await press(page, 'I tried to get in touch again');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${sent[0]!.id}?done=tried`);
    expect(await page.locator('.moj-timeline').innerText()).toContain('No answer by phone');
    expect(await page.locator('.govuk-summary-list').innerText()).toMatch(/Times you tried since our last reply\s+1/);
    await expectAccessible(page);

    await page.goto(`${system.baseUrl}/requests/${sent[1]!.id}`);
    expect(await page.locator('h2', { hasText: 'Reopen this request' }).count()).toBe(1);
    await page.fill('#reason', 'The letter never came.');
    await press(page, 'Reopen this request');
    expect(page.url()).toBe(`${system.baseUrl}/requests/${sent[1]!.id}?done=reopened`);
    expect(await page.locator('.govuk-summary-list').innerText()).not.toMatch(/Status\s+Closed/);
    expect(await page.locator('.moj-timeline').innerText()).toContain('The letter never came.');
    await expectAccessible(page);
    await screenshot(page, 'family-request-reopened');
  });
});
