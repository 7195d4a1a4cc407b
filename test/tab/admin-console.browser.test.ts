/**
 * A newcomer migrates mailboxes with the admin console in a real Chromium, against the real
 * embedded host and two real Dovecots: wizard, Bulk Add with a bad row, Verify, Pre-Stage then
 * Full, the error log, statistics export, options, and the end-user page from an e-mailed link.
 * Each main screen is checked with axe-core and photographed in light and dark.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { buildTab, launchChromium, screenshot, seriousA11yViolations, startConsoleHost, type ConsoleHost } from './support/console-harness.js';

const PW = 'pw';
const CAROL_PASSWORD = 'Carol-Source-Pw1';
/** The destination refuses APPENDs above this, so one of Alice's messages lands in her error log. */
const DEST_MAX_MAIL_BYTES = 60_000;
const PASS_TIMEOUT_MS = 40_000;
const DAY_MS = 86_400_000;

describe('the admin console in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let host: ConsoleHost;
  let source: DovecotServer;
  let destination: DovecotServer;
  let projectUrl = '';
  let endUserLink = '';

  const row = (address: string) => page.locator('[data-item-id]', { hasText: address });
  const waitForStatus = (address: string, status: string) =>
    row(address).getByText(status, { exact: true }).waitFor({ timeout: PASS_TIMEOUT_MS });
  const checkScreen = async (name: string) => {
    // A drawer or dialog mid-animation is half transparent, which axe would report as low contrast.
    await page.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
    expect(await seriousA11yViolations(page), `${name}: serious or critical axe violations`).toEqual([]);
    await screenshot(page, `${name}-light`);
  };
  const startPass = async (label: string, configure?: () => Promise<void>) => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('menuitem', { name: label }).click();
    await configure?.();
    await page.getByRole('button', { name: `Start ${label}` }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByText(`${label} started`).first().waitFor();
  };
  /** The grid shows what the API says; waiting on the API tells a finished pass from an earlier one's result. */
  const waitForPassesToEnd = async () => {
    const projectId = projectUrl.split('/').pop()!;
    const deadline = Date.now() + PASS_TIMEOUT_MS;
    for (;;) {
      const { items } = await (await fetch(`${host.url}/api/v1/projects/${projectId}/passes`)).json() as { items: { status: string }[] };
      if (items.every((p) => p.status === 'completed' || p.status === 'stopped')) return;
      if (Date.now() > deadline) throw new Error(`passes still running: ${JSON.stringify(items)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const select = (address: string) => page.getByRole('checkbox', { name: `Select ${address}` }).click();

  beforeAll(async () => {
    const users = (domain: string, extra: Record<string, string> = {}) => ({ [`alice@${domain}`]: PW, [`bob@${domain}`]: PW, ...extra });
    let staticDir = '';
    [browser, staticDir, source, destination] = await Promise.all([
      launchChromium(), buildTab(),
      startDovecot({ separator: '/', users: users('src.test', { 'carol@src.test': CAROL_PASSWORD }) }),
      startDovecot({ separator: '.', users: users('dst.test', { 'carol@dst.test': PW }), maxMailSizeBytes: DEST_MAX_MAIL_BYTES }),
    ]);
    const old = new Date(Date.now() - 200 * DAY_MS);
    await fillMailbox(source, 'alice@src.test', 'INBOX', [
      { raw: sampleMessage(1, 1_000, 'Alice old'), internalDate: old },
      { raw: sampleMessage(2, 1_000, 'Alice new') },
      { raw: sampleMessage(3, 100_000, 'Alice too large') },
    ]);
    await fillMailbox(source, 'bob@src.test', 'Archive', [{ raw: sampleMessage(4, 1_000, 'Bob old'), internalDate: old }]);
    await fillMailbox(source, 'carol@src.test', 'INBOX', [{ raw: sampleMessage(5, 1_000, 'Carol') }]);
    host = await startConsoleHost(staticDir);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // Fail fast with a clear locator instead of playwright's 30 s default per action.
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('serves the console for client routes, assets with long caching, and never a file outside dist/tab', async () => {
    const index = await fetch(`${host.url}/projects/anything`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())![1]!;
    const js = await fetch(`${host.url}${asset}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${host.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${host.url}/%2e%2e/%2e%2e/package.json`)).status).not.toBe(200);
    expect((await fetch(`${host.url}/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/v1/nope`)).headers.get('content-type')).toContain('application/problem+json');
  });

  it('creates a project through the wizard, with each endpoint checked on "Save and Go to Summary"', async () => {
    await page.goto(host.url);
    await page.getByText('Local administrator (this computer only)').waitFor();
    await page.getByText('No projects yet').waitFor();
    await checkScreen('projects');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByLabel('Project name').fill('Contoso move');
    await page.getByRole('button', { name: 'Next' }).click();
    for (const [side, server, domain] of [['source', source, 'src.test'], ['destination', destination, 'dst.test']] as const) {
      await page.getByRole('radio', { name: 'Create a new endpoint' }).check();
      await page.getByLabel('Endpoint name').fill(`${side} Dovecot`);
      await page.getByLabel('Server host name').fill(server.host);
      await page.getByLabel('Port').fill(String(server.port));
      await page.getByRole('combobox', { name: 'Encryption' }).click();
      await page.getByRole('option', { name: /None/ }).click();
      await page.getByRole('combobox', { name: 'Admin access' }).click();
      await page.getByRole('option', { name: 'Master user (SASL PLAIN authzid)' }).click();
      await page.getByLabel('Admin login').fill(server.masterUser);
      await page.getByLabel('Admin password').fill(server.masterPassword);
      await page.getByLabel('Test mailbox (optional)').fill(`alice@${domain}`);
      await page.getByRole('button', { name: 'Save and Go to Summary' }).click();
      await page.getByText('All checks passed.').waitFor();
      expect(await page.locator('[data-check]').count()).toBeGreaterThan(1);
      if (side === 'source') await checkScreen('wizard-summary');
      await page.getByRole('button', { name: 'Next' }).click();
    }
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Contoso move' }).waitFor();
    projectUrl = page.url();
    expect(projectUrl).toMatch(/\/projects\/[^/]+$/);
  });

  it('bulk-adds from a CSV, showing the bad row in the preview and in the server report', async () => {
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Bulk Add' }).click();
    const csv = 'Source Email,Destination Email\nalice@src.test,alice@dst.test\nbob@src.test,bob@dst.test\nnot-an-address,x@dst.test\n';
    await page.locator('input[type=file]').setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByText('3 row(s), 1 that look wrong').waitFor();
    await page.getByRole('button', { name: 'Add items' }).click();
    await page.getByText('Added 2 item(s). 1 row(s) were not added:').waitFor();
    const problemRow = page.getByRole('table', { name: 'Rows not added' }).getByRole('row').nth(1);
    expect(await problemRow.innerText()).toMatch(/^4\s+Source Email/);
    await page.getByRole('button', { name: 'Close' }).click();
    await row('bob@src.test').waitFor();
  });

  it('verifies credentials, runs a pre-stage then a full pass, and watches the items complete', async () => {
    await startPass('Verify Credentials');
    await waitForPassesToEnd();
    await waitForStatus('alice@src.test', 'Completed');
    await waitForStatus('bob@src.test', 'Completed');
    await startPass('Pre-Stage Migration', () => page.getByRole('radio', { name: '90 days' }).check());
    await waitForPassesToEnd();
    await waitForStatus('bob@src.test', 'Completed');
    await waitForStatus('alice@src.test', 'Completed');
    // Bob's one message is 200 days old: the 90-day pre-stage copied it (the Copied column).
    await row('bob@src.test').getByRole('gridcell', { name: '1', exact: true }).waitFor();
    await startPass('Full Migration');
    await waitForPassesToEnd();
    await waitForStatus('alice@src.test', 'Completed With Errors');
    await waitForStatus('bob@src.test', 'Completed');
    await checkScreen('project-items');
  });

  it("opens an item's detail panel with its folders and error log", async () => {
    await page.getByRole('button', { name: 'Open details of alice@src.test' }).click();
    const log = page.getByRole('table', { name: 'Error log' });
    await log.waitFor();
    // The destination's size limit refused the 100 KB message: one row, in INBOX, with the server's words.
    const errorRow = log.getByRole('row').nth(1);
    expect(await errorRow.innerText()).toMatch(/INBOX[\s\S]*\S/);
    await page.getByRole('table', { name: 'Folders' }).getByText('INBOX').waitFor();
    await checkScreen('item-detail');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('shows statistics and exports them as CSV', async () => {
    await page.getByRole('tab', { name: 'Statistics' }).click();
    await page.getByText('Errors by reason').waitFor();
    await checkScreen('statistics');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Export statistics/ }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('alice@src.test');
    expect(csv).toContain('bob@src.test');
  });

  it('shows the server validation message for a bad support option', async () => {
    await page.getByRole('tab', { name: 'Advanced options' }).click();
    await page.getByLabel('Support options').fill('FolderFilter=(unclosed');
    await page.getByRole('button', { name: 'Save options' }).click();
    // Shown twice on purpose: under the field, and in the MessageBar that names the field at fault.
    await page.getByRole('alert').getByText(/FolderFilter/).first().waitFor();
    await page.getByText(/^Check "options/).waitFor();
    await checkScreen('advanced-options');
    await page.getByLabel('Support options').fill('MaxErrors=50');
    await page.getByRole('button', { name: 'Save options' }).click();
    await page.getByText('Options saved.').waitFor();
  });

  it('lets the end user confirm a password from the e-mailed link, then migrates the mailbox', async () => {
    await page.getByRole('tab', { name: 'Items' }).click();
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Quick Add' }).click();
    await page.getByLabel('Source email').fill('carol@src.test');
    await page.getByLabel('Destination email').fill('carol@dst.test');
    await page.getByRole('checkbox', { name: /I don't know the login name/ }).check();
    await page.getByRole('button', { name: 'Add item' }).click();
    await row('carol@src.test').waitFor();
    await select('carol@src.test');
    await startPass('Full Migration');
    await waitForStatus('carol@src.test', 'Waiting For End User');

    const outbox = join(host.dataDir, 'outbox');
    const eml = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8')).find((m) => m.includes('carol@src.test'))!;
    endUserLink = /(http:\/\/127\.0\.0\.1:\d+\/end-user\/credentials#token=[A-Za-z0-9._-]+)/.exec(eml.replace(/=\r?\n/g, ''))![1]!;
    const user = await context.newPage();
    await user.goto(endUserLink);
    await user.getByText('carol@dst.test').first().waitFor();
    expect(await seriousA11yViolations(user)).toEqual([]);
    await screenshot(user, 'end-user-light');
    await user.getByLabel('Password of your current mailbox').fill('wrong-password');
    await user.getByRole('button', { name: 'Confirm password' }).click();
    await user.getByText(/Not confirmed/).waitFor();
    await user.getByText(/Attempts left: 4/).waitFor();
    await user.getByLabel('Password of your current mailbox').fill(CAROL_PASSWORD);
    await user.getByRole('button', { name: 'Confirm password' }).click();
    await user.getByText('Confirmed').waitFor();
    await user.close();
    await waitForPassesToEnd();
    await waitForStatus('carol@src.test', 'Completed');
  });

  it('renders the main screens in the dark theme', async () => {
    const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const p = await dark.newPage();
    for (const [name, url] of [['projects', host.url], ['project-items', projectUrl], ['end-user', endUserLink]] as const) {
      await p.goto(url);
      await p.locator('[data-theme="dark"]').waitFor();
      await p.waitForLoadState('networkidle');
      await p.screenshot({ path: `test-results/screenshots/${name}-dark.png`, fullPage: true });
    }
    await p.goto(projectUrl);
    await p.getByRole('tab', { name: 'Statistics' }).click();
    await p.getByText('Errors by reason').waitFor();
    await p.screenshot({ path: 'test-results/screenshots/statistics-dark.png', fullPage: true });
    await dark.close();
  });
});
