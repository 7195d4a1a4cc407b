/**
 * An Exchange → Exchange project, walked entirely in the admin console in a real Chromium against
 * the real embedded host and two schema-checked EWS test servers (Basic auth, an admin with
 * FullAccess): the wizard creates both Exchange endpoints and shows the EWS checks, Autodiscover
 * lists the source mailboxes and imports two picked ones, a Full Migration with contacts and
 * calendar completes both, the item panel shows per-folder counts, and the destination mailboxes
 * are read back through the servers' stores. The EWS summary and the completed project are
 * checked with axe-core and photographed in light and dark.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEwsServer, type EwsTestServer } from '../support/ews/ews-server.js';
import { seedItem, seedMessage } from '../support/ews/items.js';
import { EwsSchemaValidator } from '../support/ews/schema-validator.js';
import { itemsAt } from '../support/ews-migration-fixture.js';
import {
  buildTab,
  launchChromium,
  screenshot,
  seriousA11yViolations,
  startConsoleHost,
  type ConsoleHost,
} from './support/console-harness.js';

const PW = 'pw';
const SRC_ADMIN = { smtp: 'migration-admin@src.test', password: 'Src-Admin-Pw1' };
const DST_ADMIN = { smtp: 'migration-admin@dst.test', password: 'Dst-Admin-Pw1' };
/** Discovered at the source; Ann and Bob are picked, Cho is left out. */
const SOURCE_USERS = ['ann', 'bob', 'cho'];
const PICKED = ['ann', 'bob'];
const PASS_TIMEOUT_MS = 30_000;

const mime = (from: string, subject: string) =>
  `From: Fabrikam <billing@fabrikam.test>\r\nTo: ${from}\r\nSubject: ${subject}\r\nDate: Tue, 2 Jan 2024 09:30:00 +0000\r\n` +
  `Message-ID: <${subject.replace(/\W/g, '')}@fabrikam.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of ${subject}\r\n`;

describe('an Exchange to Exchange project in the admin console', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let host: ConsoleHost;
  let validator: EwsSchemaValidator;
  let source: EwsTestServer;
  let destination: EwsTestServer;
  let projectUrl = '';

  const row = (address: string) => page.locator('[data-item-id]', { hasText: address });
  const checkScreen = async (p: Page, name: string) => {
    // A drawer or dialog mid-animation is half transparent, which axe would report as low contrast.
    await p.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
    expect(await seriousA11yViolations(p), `${name}: serious or critical axe violations`).toEqual([]);
    await screenshot(p, name);
  };

  beforeAll(async () => {
    validator = new EwsSchemaValidator();
    let staticDir = '';
    [browser, staticDir, source, destination] = await Promise.all([
      launchChromium(),
      buildTab(),
      startEwsServer({ users: SOURCE_USERS.map((n) => ({ smtp: `${n}@src.test`, password: PW })), admin: SRC_ADMIN, validator }),
      startEwsServer({ users: PICKED.map((n) => ({ smtp: `${n}@dst.test`, password: PW })), admin: DST_ADMIN, validator }),
    ]);
    for (const name of SOURCE_USERS) {
      const smtp = `${name}@src.test`;
      seedMessage(source.store, smtp, 'inbox', mime(smtp, `Invoice for ${name}`), { received: '2024-01-02T09:31:15Z', isRead: false });
      seedMessage(source.store, smtp, 'inbox', mime(smtp, `Newsletter for ${name}`), { received: '2024-01-03T07:00:00Z' });
      seedItem(
        source.store,
        smtp,
        'contacts',
        `<t:Contact><t:FileAs>Doe, Jane</t:FileAs><t:DisplayName>Jane Doe (${name})</t:DisplayName><t:GivenName>Jane</t:GivenName><t:Surname>Doe</t:Surname>` +
          '<t:EmailAddresses><t:Entry Key="EmailAddress1">jane@fabrikam.test</t:Entry></t:EmailAddresses></t:Contact>',
      );
      seedItem(
        source.store,
        smtp,
        'calendar',
        `<t:CalendarItem><t:Subject>Budget review (${name})</t:Subject><t:Start>2024-05-06T13:00:00Z</t:Start><t:End>2024-05-06T14:00:00Z</t:End>` +
          '<t:Location>Room 1</t:Location></t:CalendarItem>',
      );
    }
    host = await startConsoleHost(staticDir);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    // close() rejects when a response failed the schema check.
    const closed = await Promise.allSettled([source?.close(), destination?.close()]);
    validator?.dispose();
    const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  it('creates the project with two new Exchange endpoints, each with its EWS checks on "Save and Go to Summary"', async () => {
    await page.goto(`${host.url}/projects/new`);
    await page.getByLabel('Project name').fill('Contoso Exchange move');
    await page.getByRole('button', { name: 'Next' }).click();
    for (const [side, server, admin, mailbox] of [
      ['Source', source, SRC_ADMIN, 'ann@src.test'],
      ['Destination', destination, DST_ADMIN, 'ann@dst.test'],
    ] as const) {
      await page.getByRole('radio', { name: 'Create a new endpoint' }).check();
      await page.getByRole('radio', { name: 'Exchange Server 2007+ / hosted Exchange (EWS)' }).check();
      await page.getByLabel('Endpoint name').fill(`${side} Exchange`);
      await page.getByLabel('EWS or OWA URL').fill(server.url);
      await page.getByRole('combobox', { name: 'Admin access' }).click();
      await page.getByRole('option', { name: 'Delegation (FullAccess)' }).click();
      await page.getByLabel('Admin login').fill(admin.smtp);
      await page.getByLabel('Admin password').fill(admin.password);
      await page.getByLabel('Test mailbox (optional)').fill(mailbox);
      await page.getByRole('button', { name: 'Save and Go to Summary' }).click();
      // The test server speaks plain http: Connection is a warning, nothing failed.
      await page.getByText('No check failed; 1 warning(s) to read before you go on.').waitFor();
      const summary = page.getByRole('region', { name: 'Endpoint summary' });
      const check = (name: string) => summary.locator(`[data-check="${name}"]`);
      await check('EWS URL').getByText(server.url).waitFor();
      await check('Connection').getByText('Warning', { exact: true }).waitFor();
      await check('Connection')
        .getByText(/not encrypted/)
        .waitFor();
      await check('Server version').getByText('Passed', { exact: true }).waitFor();
      expect(await summary.getByText('Failed', { exact: true }).count()).toBe(0);
      if (side === 'Source') await checkScreen(page, 'exchange-summary-light');
      await page.getByRole('button', { name: 'Next' }).click();
    }
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Contoso Exchange move' }).waitFor();
    projectUrl = page.url();
  });

  it('discovers the source mailboxes and imports the two picked ones at the destination domain', async () => {
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Autodiscover Items' }).click();
    const dialog = page.getByRole('dialog');
    const list = dialog.getByRole('table', { name: 'Discovered mailboxes' });
    for (const name of SOURCE_USERS) await list.getByRole('cell', { name: `${name}@src.test`, exact: true }).waitFor();
    // Every new mailbox is picked at first: leave Cho out.
    await dialog.getByRole('checkbox', { name: 'Add cho@src.test' }).uncheck();
    await dialog.getByLabel('Destination domain').fill('dst.test');
    await list.getByRole('cell', { name: 'ann@dst.test', exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Add 2 item(s)' }).click();
    await dialog.getByText('Added 2 item(s).').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    for (const name of PICKED) await row(`${name}@src.test`).getByText(`${name}@dst.test`).waitFor();
    expect(await row('cho@src.test').count()).toBe(0);
  });

  it('runs a Full Migration with contacts and calendar, and both items complete', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Full Migration' }).click();
    const dialog = page.getByRole('dialog');
    const types = dialog.getByRole('group', { name: 'Item types' });
    for (const type of ['Mail', 'Contacts', 'Calendar']) expect(await types.getByRole('checkbox', { name: type }).isChecked()).toBe(true);
    // Settings are asked for, not assumed.
    expect(await types.getByRole('checkbox', { name: 'Rules and automatic replies' }).isChecked()).toBe(false);
    await dialog.getByRole('button', { name: 'Start Full Migration' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Full Migration started for 2 item(s).').waitFor();
    for (const name of PICKED) await row(`${name}@src.test`).getByText('Completed', { exact: true }).waitFor({ timeout: PASS_TIMEOUT_MS });
    // Two messages, a contact and a meeting each: the Copied column.
    for (const name of PICKED) await row(`${name}@src.test`).getByRole('gridcell', { name: '4', exact: true }).waitFor();
    await checkScreen(page, 'exchange-project-light');
  });

  it("shows an item's per-folder counts", async () => {
    await page.getByRole('button', { name: 'Open details of ann@src.test' }).click();
    const folders = page.getByRole('table', { name: 'Folders' });
    await folders.waitFor();
    const counts = Object.fromEntries(
      (await folders.getByRole('row').allInnerTexts()).slice(1).map((r) => {
        const [path, copied, skipped, failed] = r
          .split(/\t|\n/)
          .map((c) => c.trim())
          .filter(Boolean);
        return [path, [copied, skipped, failed].map(Number)];
      }),
    );
    expect(counts).toMatchObject({ Inbox: [2, 0, 0], Contacts: [1, 0, 0], Calendar: [1, 0, 0] });
    await page.getByText(/^Full Migration, Completed, ended /).waitFor();
    const noErrors = page.getByText('No errors: every message of the last passes was copied.');
    // Below its heading, not beside it.
    expect((await noErrors.boundingBox())!.y).toBeGreaterThan(
      (await page.getByRole('heading', { name: 'Error log' }).boundingBox())!.y + 10,
    );
    await checkScreen(page, 'exchange-item-detail-light');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('renders the EWS summary and the completed project in the dark theme', async () => {
    const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const p = await dark.newPage();
    p.setDefaultTimeout(15_000);
    await p.goto(projectUrl);
    await p.locator('[data-theme="dark"]').waitFor();
    for (const name of PICKED)
      await p
        .locator('[data-item-id]', { hasText: `${name}@src.test` })
        .getByText('Completed', { exact: true })
        .waitFor();
    // The totals come with the first progress poll.
    await p.getByText('2 items · Completed: 2').waitFor();
    await checkScreen(p, 'exchange-project-dark');
    // The source endpoint again, as an existing one: its checks run anew.
    await p.goto(`${host.url}/projects/new`);
    await p.getByLabel('Project name').fill('Dark');
    await p.getByRole('button', { name: 'Next' }).click();
    await p.getByRole('combobox', { name: 'Source endpoint' }).click();
    await p.getByRole('option', { name: /^Source Exchange/ }).click();
    await p.getByLabel('Test mailbox (optional)').fill('ann@src.test');
    await p.getByRole('button', { name: 'Save and Go to Summary' }).click();
    await p.getByText(/^No check failed/).waitFor();
    await checkScreen(p, 'exchange-summary-dark');
    await dark.close();
  });

  it('leaves the seeded mail, contacts and calendar items in the picked destination mailboxes only', () => {
    for (const name of PICKED) {
      const smtp = `${name}@dst.test`;
      const subjects = (path: string) =>
        itemsAt(destination, smtp, path)
          .map((i) => i.fields.get('Subject')?.t ?? i.fields.get('DisplayName')?.t)
          .sort();
      expect(subjects('Inbox')).toEqual([`Invoice for ${name}`, `Newsletter for ${name}`]);
      expect(itemsAt(destination, smtp, 'Contacts').map((i) => i.fields.get('DisplayName')?.t)).toEqual([`Jane Doe (${name})`]);
      expect(subjects('Calendar')).toEqual([`Budget review (${name})`]);
    }
    expect(destination.store.mailbox('cho@dst.test')).toBeUndefined();
    for (const server of [source, destination]) {
      expect(server.validation.requestFailures).toEqual([]);
      expect(server.validation.responseFailures).toEqual([]);
    }
  });
});
