/**
 * A newcomer migrates mailboxes with the admin console in a real Chromium, against the real
 * embedded host and two real Dovecots: wizard, Bulk Add with a bad row, Verify, Pre-Stage then
 * Full, the error log, statistics export, options, and the end-user page from an e-mailed link;
 * then the Exchange endpoint form's messages, Edit item, Autodiscover's answer for an IMAP source,
 * a Trial pass, Retry Errors, Change Domain, Notify users and Resend credential links.
 * Each main screen is checked with axe-core and photographed in light and dark.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../support/dovecot.js';
import {
  buildTab,
  checkScreen,
  launchChromium,
  outboxMails,
  screenshot,
  startConsoleHost,
  startPass,
  type ConsoleHost,
} from './support/console-harness.js';
import { waitUntil } from '../support/wait-until.js';

const PW = 'pw';
const CAROL_PASSWORD = 'Carol-Source-Pw1';
/** The destination refuses APPENDs above this, so one of Alice's messages lands in her error log. */
const DEST_MAX_MAIL_BYTES = 60_000;
const PASS_TIMEOUT_MS = 40_000;
const DAY_MS = 86_400_000;
/** Dave's Inbox holds more than a Trial pass copies (10 per folder). */
const DAVE_MESSAGES = 12;
const TRIAL_LIMIT = 10;

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
  const checkLight = (name: string) => checkScreen(page, `${name}-light`);
  /** The grid shows what the API says; waiting on the API tells a finished pass from an earlier one's result. */
  const waitForPassesToEnd = async () => {
    const projectId = projectUrl.split('/').pop()!;
    const passes = async () =>
      ((await (await fetch(`${host.url}/api/v1/projects/${projectId}/passes`)).json()) as { items: { status: string }[] }).items;
    await waitUntil(
      'every pass of the project to end',
      async () => (await passes()).every((p) => p.status === 'completed' || p.status === 'stopped'),
      {
        timeoutMs: PASS_TIMEOUT_MS,
        intervalMs: 200,
        describe: async () => JSON.stringify(await passes()),
      },
    );
  };
  const select = (address: string) => page.getByRole('checkbox', { name: `Select ${address}` }).click();
  const manage = async (action: string) => {
    await page.getByRole('button', { name: 'Manage' }).click();
    await page.getByRole('menuitem', { name: action }).click();
  };

  beforeAll(async () => {
    const users = (domain: string, extra: Record<string, string> = {}) => ({ [`alice@${domain}`]: PW, [`bob@${domain}`]: PW, ...extra });
    let staticDir = '';
    [browser, staticDir, source, destination] = await Promise.all([
      launchChromium(),
      buildTab(),
      startDovecot({ separator: '/', users: users('src.test', { 'carol@src.test': CAROL_PASSWORD, 'dave@src.test': PW }) }),
      startDovecot({
        separator: '.',
        users: users('dst.test', { 'carol@dst.test': PW, 'dave@dst.test': PW }),
        maxMailSizeBytes: DEST_MAX_MAIL_BYTES,
      }),
    ]);
    const old = new Date(Date.now() - 200 * DAY_MS);
    await fillMailbox(source, 'alice@src.test', 'INBOX', [
      { raw: sampleMessage(1, 1_000, 'Alice old'), internalDate: old },
      { raw: sampleMessage(2, 1_000, 'Alice new') },
      { raw: sampleMessage(3, 100_000, 'Alice too large') },
    ]);
    await fillMailbox(source, 'bob@src.test', 'Archive', [{ raw: sampleMessage(4, 1_000, 'Bob old'), internalDate: old }]);
    await fillMailbox(source, 'carol@src.test', 'INBOX', [{ raw: sampleMessage(5, 1_000, 'Carol') }]);
    await fillMailbox(
      source,
      'dave@src.test',
      'INBOX',
      Array.from({ length: DAVE_MESSAGES }, (_, i) => ({ raw: sampleMessage(100 + i, 500, `Dave ${i}`) })),
    );
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
    await checkLight('projects');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByLabel('Project name').fill('Contoso move');
    await page.getByRole('button', { name: 'Next' }).click();

    // An Exchange endpoint first: its fields, and the messages before anything is sent.
    await page.getByRole('radio', { name: 'Create a new endpoint' }).check();
    await page.getByRole('radio', { name: 'Exchange Server 2007+ / hosted Exchange (EWS)' }).check();
    expect(await page.getByLabel('Server host name').count()).toBe(0);
    await page.getByLabel('Endpoint name').fill('Contoso Exchange');
    await page.getByRole('combobox', { name: 'Admin access' }).click();
    await page.getByRole('option', { name: /^Impersonation/ }).click();
    await page.getByLabel('Admin login').fill('CONTOSO\\migration-admin');
    await page.getByRole('button', { name: 'Save and Go to Summary' }).click();
    await page.getByText(/^Give the EWS or OWA URL, e\.g\. https:\/\/mail\.contoso\.com\/EWS\/Exchange\.asmx/).waitFor();
    await page.getByText('This admin access needs the admin password.').waitFor();
    await page.getByLabel('EWS or OWA URL').fill('https://mail.contoso.com/owa');
    await page.getByText(/^Give the EWS or OWA URL/).waitFor({ state: 'detached' });
    await checkLight('wizard-ews');
    await page.getByRole('radio', { name: 'IMAP' }).check();

    for (const [side, server, domain] of [
      ['source', source, 'src.test'],
      ['destination', destination, 'dst.test'],
    ] as const) {
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
      // Encryption "None" is a warning, not a failure: the headline says so.
      await page.getByText('No check failed; 1 warning(s) to read before you go on.').waitFor();
      expect(await page.locator('[data-check]').count()).toBeGreaterThan(1);
      if (side === 'source') await checkLight('wizard-summary');
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
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node; innerText separates the cells with whitespace, textContent would run '4' into 'Source Email'
    expect(await problemRow.innerText()).toMatch(/^4\s+Source Email/);
    await page.getByRole('button', { name: 'Close' }).click();
    await row('bob@src.test').waitFor();
  });

  it('verifies credentials, runs a pre-stage then a full pass, and watches the items complete', async () => {
    await startPass(page, 'Verify Credentials');
    await waitForPassesToEnd();
    await waitForStatus('alice@src.test', 'Completed');
    await waitForStatus('bob@src.test', 'Completed');
    await startPass(page, 'Pre-Stage Migration', () => page.getByRole('radio', { name: '90 days' }).check());
    await waitForPassesToEnd();
    await waitForStatus('bob@src.test', 'Completed');
    await waitForStatus('alice@src.test', 'Completed');
    // Bob's one message is 200 days old: the 90-day pre-stage copied it (the Copied column).
    await row('bob@src.test').getByRole('gridcell', { name: '1', exact: true }).waitFor();
    await startPass(page, 'Full Migration');
    await waitForPassesToEnd();
    await waitForStatus('alice@src.test', 'Completed With Errors');
    await waitForStatus('bob@src.test', 'Completed');
    // At 1280 px the toolbar's actions and filters share one line.
    const actions = (await page.getByRole('toolbar', { name: 'Item actions' }).boundingBox())!;
    const filters = (await page.getByRole('search', { name: 'Filter items' }).boundingBox())!;
    expect(Math.abs(actions.y + actions.height / 2 - (filters.y + filters.height / 2))).toBeLessThan(4);
    expect(actions.height).toBeLessThan(48);
    await checkLight('project-items');
  });

  it("opens an item's detail panel with its folders and error log", async () => {
    await page.getByRole('button', { name: 'Open details of alice@src.test' }).click();
    const log = page.getByRole('table', { name: 'Error log' });
    await log.waitFor();
    // The destination's size limit refused the 100 KB message: one row, in INBOX, with the server's words.
    const errorRow = log.getByRole('row').nth(1);
    expect(await errorRow.textContent()).toMatch(/INBOX[\s\S]*\S/);
    await page.getByRole('table', { name: 'Folders' }).getByText('INBOX').waitFor();
    await checkLight('item-detail');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('shows statistics and exports them as CSV', async () => {
    await page.getByRole('tab', { name: 'Statistics' }).click();
    await page.getByText('Errors by reason').waitFor();
    await checkLight('statistics');
    await page.getByRole('img', { name: /^Messages copied over time/ }).waitFor();
    await page.getByRole('img', { name: /^Messages not copied, by reason/ }).waitFor();
    await page.getByRole('button', { name: 'Data table: Messages copied over time' }).click();
    await page.getByRole('table', { name: 'Messages copied over time' }).getByText('Full Migration').waitFor();
    // Fetched with the API's headers and saved from a Blob: what works inside Teams too.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Export statistics/ }).click()]);
    expect(download.suggestedFilename()).toBe('statistics.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('alice@src.test');
    expect(csv).toContain('bob@src.test');
  });

  it('shows the server validation message for a bad support option', async () => {
    await page.getByRole('tab', { name: 'Advanced options' }).click();
    await page.getByLabel('Support options', { exact: true }).fill('FolderFilter=(unclosed');
    await page.getByRole('button', { name: 'Save options' }).click();
    // Shown twice on purpose: under the field, and in the MessageBar that names the field at fault.
    await page
      .getByRole('alert')
      .getByText(/FolderFilter/)
      .first()
      .waitFor();
    await page.getByText(/^Check support options, line 1$/).waitFor();
    await checkLight('advanced-options');
    await page.getByLabel('Support options', { exact: true }).fill('MaxErrors=50');
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
    await startPass(page, 'Full Migration');
    // Opening alice's details earlier selected nothing: the pass is Carol's alone.
    await page.getByText('Full Migration started for 1 item(s).').waitFor();
    await waitForStatus('carol@src.test', 'Waiting For End User');
    const linkIn = (mail: string) => /(http:\/\/127\.0\.0\.1:\d+\/end-user\/credentials#token=[A-Za-z0-9._-]+)/.exec(mail)![1]!;
    const firstLink = linkIn(outboxMails(host).find((m) => m.includes('carol@src.test'))!);

    // Resend credential links: a new link goes out and the first one stops working.
    await manage('Resend credential links');
    const resend = page.getByRole('dialog');
    await resend.getByText(/1 item\(s\) are "Waiting For End User"/).waitFor();
    await resend.getByRole('button', { name: 'Send new links' }).click();
    await resend.getByText('Sent 1, failed 0.').waitFor();
    await resend.getByRole('button', { name: 'Close' }).click();
    endUserLink = linkIn(
      outboxMails(host)
        .filter((m) => m.includes('carol@src.test'))
        .pop()!,
    );
    expect(endUserLink).not.toBe(firstLink);
    const user = await context.newPage();
    await user.goto(endUserLink);
    await user.getByText('carol@dst.test').first().waitFor();
    await checkScreen(user, 'end-user-light');
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
    await select('carol@src.test');
  });

  it('edits an item: the API refuses a bad support option on the field, then saves; secrets stay masked', async () => {
    await page.getByRole('button', { name: 'Open details of bob@src.test' }).click();
    await page.getByRole('button', { name: 'Edit item' }).click();
    const form = page.getByRole('form', { name: 'Edit item' });
    expect(await form.getByLabel('Destination password').getAttribute('type')).toBe('password');
    await form.getByLabel('Item support options', { exact: true }).fill('AllowQuoteInFolder=1\nFolderFilter=(unclosed');
    await form.getByRole('button', { name: 'Save item' }).click();
    await form.getByText('Check support options, line 2').waitFor();
    expect(await form.getByLabel('Item support options', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await checkLight('item-edit');
    await form.getByLabel('Item support options', { exact: true }).fill('AllowQuoteInFolder=1');
    await form.getByLabel('Destination password').fill('Bob-Dst-Pw1');
    await form.getByRole('button', { name: 'Save item' }).click();
    await page.getByText('AllowQuoteInFolder=1', { exact: true }).waitFor();
    await page.getByText(/destination: the address as login with a stored password/).waitFor();
    expect(await page.content()).not.toContain('Bob-Dst-Pw1');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('says why Autodiscover cannot list an IMAP source', async () => {
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Autodiscover Items' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Autodiscover is not available for this project').waitFor();
    await dialog.getByText(/IMAP has no command that lists other users' mailboxes/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('runs a Trial pass (10 per folder), offers Retry Errors only after a pass left errors, and runs it', async () => {
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Quick Add' }).click();
    await page.getByLabel('Source email').fill('dave@src.test');
    await page.getByLabel('Destination email').fill('dave@dst.test');
    await page.getByRole('button', { name: 'Add item' }).click();
    await select('dave@src.test');
    await page.getByText(/items, 1 selected/).waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const retry = page.getByRole('menuitem', { name: /Retry Errors/ });
    expect(await retry.getAttribute('aria-disabled')).toBe('true');
    await retry.getByText(/needs at least one selected item that is "Completed With Errors"/).waitFor();
    await page.keyboard.press('Escape');
    await startPass(page, 'Trial Migration');
    await waitForPassesToEnd();
    await waitForStatus('dave@src.test', 'Completed');
    await row('dave@src.test')
      .getByRole('gridcell', { name: String(TRIAL_LIMIT), exact: true })
      .waitFor();

    // Alice's Full pass left her too-large message in the error log: Retry Errors is offered for her.
    await select('dave@src.test');
    await select('alice@src.test');
    await startPass(page, 'Retry Errors');
    await waitForPassesToEnd();
    // The destination still refuses the message: it stays in her error log.
    await waitForStatus('alice@src.test', 'Completed With Errors');
    await select('alice@src.test');
  });

  it('changes the domain of a selected item and notifies its user', async () => {
    await select('dave@src.test');
    await manage('Change Domain');
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/the 1 selected item\(s\)/).waitFor();
    await dialog.getByLabel('From domain').fill('dst.test');
    await dialog.getByLabel('To domain').fill('moved.test');
    await dialog.getByRole('button', { name: 'Change domain' }).click();
    await dialog.getByText('1 item(s) changed.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row('dave@moved.test').waitFor();

    await manage('Notify users');
    const notify = page.getByRole('dialog');
    await notify.getByLabel('Subject').fill('Your mailbox {{sourceAddress}} moves');
    await notify.getByLabel('Message').fill('From Monday, read your mail at {{destinationAddress}}.');
    await notify.getByRole('button', { name: 'Send' }).click();
    await notify.getByText('Sent 1, failed 0.').waitFor();
    await notify.getByRole('button', { name: 'Close' }).click();
    const mail = outboxMails(host).pop()!;
    expect(mail).toContain('To: dave@moved.test');
    expect(mail).toContain('From Monday, read your mail at dave@moved.test.');
    await select('dave@src.test');
  });

  it('renders the main screens in the dark theme', async () => {
    const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const p = await dark.newPage();
    for (const [name, url] of [
      ['projects', host.url],
      ['project-items', projectUrl],
      ['end-user', endUserLink],
    ] as const) {
      await p.goto(url);
      await p.locator('[data-theme="dark"]').waitFor();
      await p.waitForLoadState('networkidle');
      await screenshot(p, `${name}-dark`);
    }
    await p.goto(projectUrl);
    await p.getByRole('tab', { name: 'Statistics' }).click();
    await p.getByText('Errors by reason').waitFor();
    await screenshot(p, 'statistics-dark');
    const checkDark = (name: string) => checkScreen(p, `${name}-dark`);
    await p.getByRole('tab', { name: 'Advanced options' }).click();
    await p.getByLabel('Support options', { exact: true }).waitFor();
    await checkDark('advanced-options');
    await p.getByRole('tab', { name: 'Items' }).click();
    await p.getByRole('button', { name: 'Open details of alice@src.test' }).click();
    await p.getByRole('table', { name: 'Error log' }).waitFor();
    await checkDark('item-detail');
    await p.getByRole('button', { name: 'Edit item' }).click();
    await p.getByRole('form', { name: 'Edit item' }).waitFor();
    await checkDark('item-edit');
    await p.goto(`${host.url}/projects/new`);
    await p.getByLabel('Project name').fill('Dark');
    await p.getByRole('button', { name: 'Next' }).click();
    await p.getByRole('radio', { name: 'Create a new endpoint' }).check();
    await p.getByRole('radio', { name: 'Exchange Server 2007+ / hosted Exchange (EWS)' }).check();
    await p.getByRole('button', { name: 'Save and Go to Summary' }).click();
    await p.getByText(/^Give the EWS or OWA URL/).waitFor();
    await checkDark('wizard-ews');
    await dark.close();
  });
});
