/**
 * The browser tests (test/browser): Playwright driving Debian's Chromium (never a downloaded
 * browser) against a local stack that the global setup starts on free ports and stops at the end,
 * also when a test fails. `npm run test:browser`; part of `npm test`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/browser/global-setup.ts',
  // One stack, one browser at a time: the machine is small and the tests share the stack's clock.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 240_000,
  // The machine running the tests may be busy (2 cores, several jobs): patience, not retries.
  expect: { timeout: 45_000 },
  reporter: [['list']],
  outputDir: join(tmpdir(), 'support-access-playwright'),
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/Prague',
    actionTimeout: 45_000,
    navigationTimeout: 60_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
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
    },
  },
});
