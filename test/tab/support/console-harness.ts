/**
 * What the admin-console browser tests stand on: Debian's Chromium (required, never skipped),
 * the tab built by Vite into a temp dir, a real embedded host (SQLite, workers, outbox mailer)
 * on a free port, its outbox, and screenshot + axe-core helpers (one screen, or one screen in
 * each theme).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { build } from 'vite';
import { type EmbeddedConfig, EmbeddedRuntime } from '../../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../../api/local/http-server.js';
import { freePort } from '../../support/dovecot.js';
import { silentLog } from '../../support/migration-fixture.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = 'test-results/screenshots';
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

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The admin console browser tests need Debian's Chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` and run the tests again.`,
    );
  }
  // launch() (not launchPersistentContext) gives every run a fresh temporary profile of its own.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Builds the tab exactly as `npm run build:tab` does, into a temp dir so dist/ is left alone. */
export async function buildTab(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'mailferry-tab-'));
  await build({ configFile: 'tab/vite.config.ts', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export interface ConsoleHost {
  url: string;
  dataDir: string;
  runtime: EmbeddedRuntime;
  server: Server;
  close(): Promise<void>;
}

/** `runtime`: more of the embedded host's settings (a test's connectors, an Entra ID stand-in). */
export async function startConsoleHost(staticDir: string, runtime: Partial<EmbeddedConfig> = {}): Promise<ConsoleHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-console-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const host = await EmbeddedRuntime.open({
    dataDir,
    concurrency: 3,
    lockMs: 5_000,
    pollMs: 50,
    log: silentLog,
    publicBaseUrl: url,
    ...runtime,
  });
  const { server } = await startHttpServer(host.services, { port, staticDir });
  host.startWorkers();
  return {
    url,
    dataDir,
    runtime: host,
    server,
    async close() {
      server.close();
      await host.close();
    },
  };
}

/** The mails the host's outbox mailer wrote, oldest first (file names start with an ISO timestamp), soft line breaks joined. */
export function outboxMails(host: ConsoleHost): string[] {
  const outbox = join(host.dataDir, 'outbox');
  return readdirSync(outbox)
    .sort()
    .map((f) => readFileSync(join(outbox, f), 'utf8').replace(/=\r?\n/g, ''));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it stands; returns the serious and critical violations, described. */
export async function seriousA11yViolations(page: Page, options: { skipRules?: string[] } = {}): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const rules = Object.fromEntries((options.skipRules ?? []).map((id) => [id, { enabled: false }]));
  // Tabster (Fluent's focus manager) puts aria-hidden <i tabindex=0 data-tabster-dummy> sentinels at
  // the edges of focus zones on purpose; they redirect focus and are never read, so axe skips them.
  const result = (await page.evaluate(
    `axe.run({ exclude: [["[data-tabster-dummy]"]] }, { resultTypes: ["violations"], rules: ${JSON.stringify(rules)} })`,
  )) as {
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')})`,
    );
}

export async function screenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * One screen as it stands: once its animations end (a drawer or dialog mid-animation is half
 * transparent, which axe would report as low contrast), no serious or critical axe violation,
 * and a photograph `name.png` in `dir`.
 */
export async function checkScreen(page: Page, name: string, options: { dir?: string; skipRules?: string[] } = {}): Promise<void> {
  await page.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
  // A dialog that just closed leaves the page aria-hidden for a moment after its surface is gone (axe:
  // aria-hidden-focus on #root, seen once in CI): with no dialog open, wait until the page is shown again.
  await page.waitForFunction(
    'document.querySelector("[role=dialog], [role=alertdialog]") !== null || document.querySelector("#root[aria-hidden]") === null',
  );
  expect(await seriousA11yViolations(page, { skipRules: options.skipRules }), `${name}: serious or critical axe violations`).toEqual([]);
  await screenshot(page, name, options.dir);
}

export const THEMES = ['light', 'dark', 'contrast'] as const;
export type Theme = (typeof THEMES)[number];

/** One screen in each theme, from the browser's own settings (colour scheme, forced colours): checked as `name-theme`; light again after. */
export async function checkThemes(page: Page, name: string, options: { dir?: string; themes?: readonly Theme[] } = {}): Promise<void> {
  for (const theme of options.themes ?? THEMES) {
    await page.emulateMedia({ colorScheme: theme === 'dark' ? 'dark' : 'light', forcedColors: theme === 'contrast' ? 'active' : 'none' });
    await page.locator(`[data-theme="${theme}"]`).first().waitFor();
    // Under forced colours the browser paints with the system's palette, which axe's contrast rule does not see.
    await checkScreen(page, `${name}-${theme}`, { dir: options.dir, skipRules: theme === 'contrast' ? ['color-contrast'] : [] });
  }
  await page.emulateMedia({ colorScheme: 'light', forcedColors: 'none' });
}

/** Start menu → pass kind → (its options) → Start, until the console says it started. */
export async function startPass(page: Page, label: string, configure?: () => Promise<void>): Promise<void> {
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByRole('menuitem', { name: label }).click();
  await configure?.();
  await page.getByRole('button', { name: `Start ${label}` }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await page.getByText(`${label} started`).first().waitFor();
}
