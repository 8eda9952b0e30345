/**
 * What every browser test shares: Debian's chromium driven by playwright-core (never a downloaded
 * browser), axe-core on each page, signing in through the page, and a screenshot of each page
 * visited under test-output/screenshots (the README shows some of them).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { source as axeSource } from 'axe-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOTS_DIR = resolve(__dirname, '../../test-output/screenshots');

/** Chromium, or a failure that says how to install it: the browser tests fail without it, never skip. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM}: ${process.env.CHROMIUM_MISSING ?? 'not found'}. ` +
        '`npm test` installs it with apt-get when it runs as root; otherwise run: sudo apt-get install -y chromium',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** axe-core on the page as it stands: every violation, with the elements it found, fails the test. */
export async function expectAccessible(page: Page): Promise<void> {
  // Evaluated through the DevTools protocol, which the pages' Content-Security-Policy (no inline
  // scripts) rightly does not allow a <script> tag to do.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // In the page (no DOM types here): axe-core, as its source left it on the window.
    type Axe = { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }> };
    const result = await (globalThis as unknown as { axe: Axe }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  expect({ url: page.url(), violations }).toEqual({ url: page.url(), violations: [] });
}

/**
 * A full-page PNG of the page as it stands, as test-output/screenshots/<name>.png. Names are
 * `<who>-<page>` (family-request, officer-queue, manager-dashboard...); a JavaScript-off run adds `-nojs`.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in page with a demo account (password `demo`) and waits for the page it lands on. */
export async function signIn(page: Page, baseUrl: string, email: string, password = 'demo'): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.click('button:has-text("Sign in")')]);
}
