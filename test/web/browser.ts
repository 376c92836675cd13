// Headless Chromium for the room page tests: Debian's `chromium` package
// (browser downloads do not work here) driven by playwright-core. One browser
// per test file; pages are reused. playwright's launch() gives the browser a
// fresh temporary profile (user-data-dir) and deletes it on close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots a test run writes for people to look at (gitignored). */
export const SCREENSHOT_DIR = path.resolve('test-artifacts/web');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the room page client (web/) into a fresh folder, for WEB_DIR. */
export async function buildWebClient(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'roomcal-web-'));
  await build({ configFile: path.resolve('web/vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
