// Headless Debian Chromium driven by playwright-core, for tests of the Temporal Web UI. The
// browser is the machine's (`npm run tools` installs Debian's `chromium` when it is missing);
// playwright's own browser download is never used. Screenshots go to a gitignored folder.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, toolPath } from './tools.js';

/** Where browser tests leave their screenshots (gitignored). */
export const BROWSER_OUTPUT_DIR = path.join(repoRoot, 'test-output', 'browser');

/**
 * Chromium as root on a machine with no network but loopback: no sandbox (root), and none of the
 * background connections (updates, sync, QUIC) it would otherwise try and have refused.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: toolPath('chromium'), headless: true, args: CHROMIUM_ARGS });
}

/** A page with a generous default wait: the machine is shared, the UI polls the server. */
export async function newPage(browser: Browser, timeoutMs = 30_000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(timeoutMs);
  return page;
}

/** Saves a full-page screenshot as `<name>.png` under BROWSER_OUTPUT_DIR and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(BROWSER_OUTPUT_DIR, { recursive: true });
  const file = path.join(BROWSER_OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
