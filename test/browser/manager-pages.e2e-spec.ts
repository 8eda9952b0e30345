/**
 * The managers' and administrators' pages in a real browser (Debian's chromium through
 * playwright-core) against the system as `npm start` runs it with the demo data: the alerts inbox
 * updating live and acknowledging, the SLA dashboard with its charts, tables, filter and CSV, each
 * with JavaScript off too, and the case import. axe-core checks every page visited.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startSystem, type RunningSystem } from '../support/system';
import { expectAccessible, launchBrowser, screenshot, signIn } from './browser-support';

jest.setTimeout(120_000);

let system: RunningSystem;
let browser: Browser;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem({ DEMO: 'true', DEMO_DATA: 'true' }), launchBrowser()]);
  api = apiClient(system.baseUrl);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.interrupt();
});

/** A parent's new request on a north case, chased past the policy's threshold (3): the worker escalates it to north's team manager. */
async function escalatedRequest(subject: string): Promise<{ id: string; reference: string }> {
  const parent = api.as(await api.login('parent@example.org'));
  const sent = await parent.post('/api/requests', {
    caseRef: 'C-1001',
    category: 'transport',
    subject,
    message: 'Nobody has told us how our child gets to school.',
  });
  expect(sent.status).toBe(201);
  for (let i = 0; i < 3; i++) expect((await parent.post(`/api/requests/${sent.body.id}/attempts`, { channel: 'phone' })).status).toBe(201);
  return { id: sent.body.id, reference: sent.body.reference };
}

/** One of the dashboard's tables, found by its caption (the date pickers draw tables of their own). */
const tableCaptioned = (page: Page, caption: string) => page.locator('main table', { has: page.locator('caption', { hasText: caption }) });

const headerCount = async (page: Page) => Number((await page.locator('[data-alert-count]').textContent())?.trim() || '0');

describe('the managers’ and administrators’ pages in chromium', () => {
  let context: BrowserContext;
  afterEach(async () => context?.close());

  it('a team manager lands on the alerts inbox; a new alert appears without a reload, the count rises, and it can be acknowledged', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const streamOpen = page.waitForResponse((r) => r.url() === `${system.baseUrl}/alerts/stream`, { timeout: 20_000 });
    await signIn(page, system.baseUrl, 'manager@example.org');
    expect(new URL(page.url()).pathname).toBe('/alerts');
    expect((await streamOpen).headers()['content-type']).toContain('text/event-stream');
    await expectAccessible(page);
    const before = await headerCount(page);
    // Marks this document: still there after the alert arrives means the page was never reloaded.
    await page.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));

    const { reference } = await escalatedRequest('Live alert on the manager page');
    const row = page.locator('#alerts-table tr', { hasText: reference });
    await eventually(async () => (await row.count()) === 1, 30_000, 'the new alert in the inbox');
    expect(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await row.innerText()).toMatch(
      /Live alert on the manager page[\s\S]*Level 1: SEND team manager[\s\S]*Tried 3 times with no reply/,
    );
    await eventually(async () => (await headerCount(page)) === before + 1, 5_000, 'the header count to rise');
    await expectAccessible(page);
    await screenshot(page, 'manager-alerts');

    await Promise.all([page.waitForURL(/\/alerts\?acknowledged=/), row.locator('button:has-text("Acknowledge")').click()]);
    expect(await page.locator('.moj-alert').innerText()).toContain(`You acknowledged the alert on ${reference}`);
    expect(await page.locator('#alerts-table tr', { hasText: reference }).innerText()).toMatch(/acknowledged/i);
    expect(await row.locator('button').count()).toBe(0);
    await expectAccessible(page);

    // The dashboard's scope is the API's: a team manager's is their own team's only.
    expect((await page.goto(`${system.baseUrl}/dashboard?teamId=south`))!.status()).toBe(403);
  });

  it('with JavaScript off, the alerts page acknowledges and the dashboard shows its tables', async () => {
    const { reference } = await escalatedRequest('Acknowledged without JavaScript');
    const manager = api.as(await api.login('manager@example.org'));
    await eventually(
      async () => JSON.stringify((await manager.get('/api/alerts?limit=500')).body).includes(reference),
      20_000,
      'the alert in GET /api/alerts',
    );

    context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'manager@example.org');
    const row = page.locator('#alerts-table tr', { hasText: reference });
    await Promise.all([page.waitForURL(/\/alerts\?acknowledged=/), row.locator('button:has-text("Acknowledge")').click()]);
    expect(await page.locator('.moj-alert').innerText()).toContain(reference);
    expect(await page.locator('#alerts-table tr', { hasText: reference }).innerText()).toMatch(/acknowledged/i);
    await screenshot(page, 'manager-alerts-nojs');

    await page.goto(`${system.baseUrl}/dashboard`);
    expect(await page.locator('canvas').count()).toBe(0);
    expect(await page.locator('caption', { hasText: 'Weekly trend' }).count()).toBe(1);
    expect(await page.locator('main table').count()).toBe(4);
    expect(await tableCaptioned(page, 'Breaches by team').innerText()).toMatch(/North/);
    await screenshot(page, 'manager-dashboard-nojs');
  });

  it('the dashboard draws a chart beside each table, applies a filter and downloads a table as CSV', async () => {
    context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'service.manager@example.org');
    await page.goto(`${system.baseUrl}/dashboard`);
    await eventually(async () => (await page.locator('.app-chart canvas').count()) === 3, 10_000, 'three charts');
    for (const caption of ['Summary', 'Weekly trend', 'Breaches by team', 'Attempts per request']) {
      expect(await page.locator('caption', { hasText: caption }).count()).toBe(1);
    }
    expect(await tableCaptioned(page, 'Breaches by team').innerText()).toMatch(/North[\s\S]*South/);
    await expectAccessible(page);
    await screenshot(page, 'manager-dashboard');

    const sent = async () => Number(/Sent\s+(\d+)/.exec(await tableCaptioned(page, 'Summary').innerText())![1]);
    const sentByAll = await sent();
    await page.selectOption('#teamId', 'north');
    await page.selectOption('#channel', 'phone');
    await Promise.all([page.waitForURL(/teamId=north/), page.click('button:has-text("Apply filters")')]);
    expect(page.url()).toContain('channel=phone');
    expect(await page.locator('.moj-filter__selected').innerText()).toContain('North');
    const summary = await tableCaptioned(page, 'Summary').innerText();
    expect(summary).toContain('Team North');
    // Every figure is of the requests the filter picks: north's calls, fewer than everyone's requests.
    expect(await sent()).toBeGreaterThan(0);
    expect(await sent()).toBeLessThan(sentByAll);
    expect(await tableCaptioned(page, 'Breaches by team').innerText()).not.toMatch(/South/);
    await expectAccessible(page);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Download weekly trend (CSV)")')]);
    expect(download.suggestedFilename()).toMatch(/^sla-weekly-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('Week starting,Sent,Replied within SLA (%),Breached,Open escalations');
    expect(csv.split('\r\n').length).toBeGreaterThan(2);
    const direct = await fetch(`${system.baseUrl}/dashboard/teams.csv?teamId=north`, {
      headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    expect(direct.headers.get('content-type')).toContain('text/csv');
    expect(direct.headers.get('content-disposition')).toMatch(/^attachment; filename="sla-teams-/);
  });

  it('an administrator imports a two-line CSV and sees the report: one case created, one line rejected with its reason', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, system.baseUrl, 'admin@example.org');
    expect(new URL(page.url()).pathname).toBe('/admin/cases');
    await expectAccessible(page);
    expect(await page.locator('main a[href="/admin/queues"]').count()).toBe(1);
    await page.fill(
      '#csv',
      [
        'caseRef,childName,teamId,caseOfficerEmail,contactName,relationship,contactEmail,contactPhone',
        'C-3001,Robin,north,officer@example.org,Kim Carer,parent,kim@example.org,',
        'C-3002,,north,,,,,',
      ].join('\n'),
    );
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button:has-text("Import cases")')]);
    const report = await page.locator('.govuk-summary-list').innerText();
    expect(report).toMatch(/Cases created\s+1/);
    expect(report).toMatch(/Lines rejected\s+1/);
    expect(await page.locator('table', { hasText: 'Rejected lines' }).innerText()).toMatch(/3\s+childName: is required/);
    await expectAccessible(page);
    await screenshot(page, 'admin-cases');

    // The job queues' board, signed in by the same session (no token to paste).
    const [board] = await Promise.all([page.waitForResponse((r) => r.url() === `${system.baseUrl}/admin/queues`), page.click('main a[href="/admin/queues"]')]);
    expect(board.status()).toBe(200);
    expect(await page.title()).toContain('SEND queues');
  });
});
