/**
 * A new admin's first Exchange Online → Exchange Online project over Microsoft Graph (issue 12),
 * in a real Chromium against the embedded host, the Graph test server (two mailboxes, an app with
 * every permission and one the admin left the import permission out of) and the EWS test server
 * playing a tenant that switched EWS off. What the admin reads is checked as words: the permission
 * list to copy, each check's line, the one failed permission and where to grant it, the EWS refusal
 * naming both ways out and where in the console. Each screen is checked by axe and photographed
 * into test-results/screenshots/.
 *
 * The console's Graph form has no Graph URL (Microsoft's is the only one), so the host's Graph
 * connector is pointed at the test server for endpoints that leave the host empty, and signs in at
 * its Entra stand-in (what MAILFERRY_ENTRA_AUTHORITY_HOST does for `npm start`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphConnector } from '../../api/connectors/graph/index.js';
import { ALL_GRAPH_PERMISSIONS, GRAPH_PERMISSIONS as P } from '../../api/connectors/graph/permissions.js';
import type { MailConnector } from '../../api/core/connector.js';
import { sampleMessage } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/ews-server.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../support/graph/index.js';
import {
  buildTab,
  launchChromium,
  screenshot,
  seriousA11yViolations,
  startConsoleHost,
  type ConsoleHost,
} from './support/console-harness.js';

const SOURCE = 'ann@contoso.com';
const DESTINATION = 'bob@contoso.com';
/** The destination of the project made after the EWS endpoint switched to Graph. */
const SECOND_DESTINATION = 'cy@contoso.com';
const FULL = { clientId: '7c1b2c3d-1111-4222-8333-944455550001', secret: 'Full-Secret-1' };
const NO_IMPORT = {
  clientId: '7c1b2c3d-1111-4222-8333-944455550002',
  secret: 'NoImport-Secret-1',
  permissions: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.import),
};
const EWS_ADMIN = { smtp: 'migration-admin@contoso.com', password: 'Ews-Admin-Pw1' };
const PASS_TIMEOUT_MS = 30_000;

/** Every call of `connector` with an endpoint whose host is empty (Microsoft's Graph) goes to `graphUrl` instead. */
function pointedAt(connector: GraphConnector, graphUrl: string): MailConnector {
  const repoint = (arg: unknown): unknown => {
    if (!arg || typeof arg !== 'object' || !('endpoint' in arg)) return arg;
    const { endpoint } = arg as { endpoint: { host?: string } };
    return endpoint?.host ? arg : { ...arg, endpoint: { ...endpoint, host: graphUrl } };
  };
  return new Proxy(connector, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (...args: unknown[]) => value.apply(target, args.map(repoint)) : value;
    },
  }) as MailConnector;
}

describe("an admin's first Exchange Online project over Microsoft Graph", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let host: ConsoleHost;
  let graph: GraphTestServer;
  let ews: EwsTestServer;

  const summary = () => page.getByRole('region', { name: 'Endpoint summary' });
  const line = (check: string) => summary().locator(`li[data-check="${check}"]`);
  const check = async (name: string) => {
    // A drawer or message mid-animation is half transparent, which axe would report as low contrast.
    await page.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
    expect(await seriousA11yViolations(page), `${name}: serious or critical axe violations`).toEqual([]);
    await screenshot(page, name);
  };
  /** The wizard's new Microsoft 365 endpoint over Graph, with an app registration's secret. */
  const fillGraphEndpoint = async (name: string, app: { clientId: string; secret: string }, testMailbox: string) => {
    await page.getByRole('radio', { name: 'Microsoft 365 (Exchange Online)' }).click();
    await page.locator('label', { hasText: /^Endpoint name/ }).click();
    await page.keyboard.type(name);
    await page.getByLabel('Application (client) ID').fill(app.clientId);
    await page.getByLabel('Directory (tenant) ID').fill(graph.tenantId);
    await page.getByLabel('Client secret').fill(app.secret);
    await page.getByLabel('Test mailbox (optional)').fill(testMailbox);
  };
  const saveAndSummarize = async () => {
    await page.getByRole('button', { name: 'Save and Go to Summary' }).click();
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    await summary().waitFor();
  };

  /** Quick Add of one item in the open project, then a Full Migration of it, until its row says Completed. */
  const quickAddAndRunFull = async (source: string, destination: string) => {
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('menuitem', { name: 'Quick Add' }).click();
    await page.getByLabel('Source email').fill(source);
    await page.getByLabel('Destination email').fill(destination);
    await page.getByRole('button', { name: 'Add item' }).click();
    const row = page.locator('[data-item-id]', { hasText: destination });
    await row.waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Full Migration' }).click();
    await page.getByRole('button', { name: 'Start Full Migration' }).click();
    await row.getByText('Completed', { exact: true }).waitFor({ timeout: PASS_TIMEOUT_MS });
  };

  beforeAll(async () => {
    let staticDir = '';
    [browser, staticDir, graph, ews] = await Promise.all([
      launchChromium(),
      buildTab(),
      startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [SOURCE, DESTINATION, SECOND_DESTINATION], apps: [FULL, NO_IMPORT] }),
      startEwsServer({ users: [{ smtp: SOURCE, password: 'pw' }], admin: EWS_ADMIN, ewsDisabled: true }),
    ]);
    for (let n = 1; n <= 3; n++) graph.seed.message(SOURCE, 'inbox', sampleMessage(n, 1_000, `Quarterly note ${n}`));
    const connector = new GraphConnector({
      modernAuth: { authorityHost: `https://${graph.tokenEndpoint.host}`, networkClient: trustingNetworkClient(graph.tokenEndpoint.caPem) },
    });
    host = await startConsoleHost(staticDir, { connectors: { graph: pointedAt(connector, graph.graphUrl) } });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await Promise.all([graph?.close(), ews?.close()]);
  });

  it('source: the Graph form lists the permissions to copy; an app without the import permission passes as a source, with a warning', async () => {
    await page.goto(host.url);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByLabel('Project name').fill('Exchange Online to Exchange Online');
    await page.getByRole('button', { name: 'Next' }).click();
    await fillGraphEndpoint('Contoso (source)', NO_IMPORT, SOURCE);
    expect((await page.getByLabel('Microsoft Graph application permissions').textContent())!.split('\n')).toEqual([
      ...ALL_GRAPH_PERMISSIONS,
    ]);
    // The copy button sits under the list at its own width (it was stretched across the form).
    const copy = (await page.getByRole('button', { name: 'Copy the list' }).boundingBox())!;
    expect(copy.width).toBeLessThan(200);
    await page.getByText(/^Each permission the app needs as a source is tried on this mailbox/).waitFor();
    await check('graph-source-form');

    await saveAndSummarize();
    await summary().getByText('No check failed; 1 warning(s) to read before you go on.').waitFor();
    expect(await summary().getByText('Failed', { exact: true }).count()).toBe(0);
    await line(P.import).getByText('Warning', { exact: true }).waitFor();
    await line(P.import)
      .getByText(/This endpoint is checked as a source, which does not need it; grant it before using it as a destination/)
      .waitFor();
    await line(P.export).getByText('Passed', { exact: true }).waitFor();
    await check('graph-source-summary');
    await page.getByRole('button', { name: 'Next' }).click();
  });

  it('destination: the same app fails exactly its import line, naming the permission and where; the full app passes', async () => {
    await page.getByRole('radio', { name: 'Create a new endpoint' }).click();
    await fillGraphEndpoint('Contoso (destination)', NO_IMPORT, DESTINATION);
    await page.getByText(/^Each permission the app needs as a destination is tried on this mailbox/).waitFor();
    await saveAndSummarize();
    await summary().getByText('Some checks failed: fix the endpoint, or continue if you know why.').waitFor();
    const failed = summary().locator('li', { has: page.getByText('Failed', { exact: true }) });
    expect(await failed.count()).toBe(1);
    const text = (await failed.textContent()) ?? '';
    expect(text).toContain(P.import);
    expect(text).toContain(`The app may not import items (as a destination) in ${DESTINATION}.`);
    expect(text).toContain('Entra admin center → App registrations → the app → API permissions → Add a permission → Microsoft Graph');
    expect(text).toContain('Grant admin consent');
    await check('graph-destination-missing-import');

    // The admin uses the registration that has every permission: the same endpoint is checked again.
    await page.getByLabel('Application (client) ID').fill(FULL.clientId);
    await page.getByLabel('Client secret').fill(FULL.secret);
    await saveAndSummarize();
    await summary().getByText('All checks passed.').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('region', { name: /^Destination: Contoso \(destination\)/ }).waitFor();
    await check('graph-review');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Exchange Online to Exchange Online' }).waitFor();
  });

  it('copies a mailbox with Quick Add and a Full Migration', async () => {
    await quickAddAndRunFull(SOURCE, DESTINATION);
    expect(graph.read.items(DESTINATION, 'Inbox').length).toBe(3);
    await check('graph-project-completed');
  });

  it('an Exchange Online endpoint on EWS in a tenant that switched EWS off: the check names both ways out, in the console', async () => {
    await page.goto(host.url);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByLabel('Project name').fill('Still on EWS');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'Create a new endpoint' }).click();
    await page.getByRole('radio', { name: 'Microsoft 365 (Exchange Online)' }).click();
    await page.getByRole('radio', { name: 'EWS (until Microsoft turns it off)' }).click();
    await page.locator('label', { hasText: /^Endpoint name/ }).click();
    await page.keyboard.type('Contoso EWS');
    await page.getByLabel('EWS URL (optional)').fill(ews.url);
    await page.getByLabel(/^Admin login\s*\*?$/).fill(EWS_ADMIN.smtp);
    await page.getByLabel('Admin password').fill(EWS_ADMIN.password);
    await page.getByLabel('Test mailbox (optional)').fill(SOURCE);
    await saveAndSummarize();
    const refused =
      (await summary()
        .locator('li', { has: page.getByText('Failed', { exact: true }) })
        .first()
        .textContent()) ?? '';
    expect(refused).toContain('X-EWS-Policy-Reason: "EWS is disabled for this user or tenant"');
    expect(refused).toContain('in the console, Endpoints → "Contoso EWS" → Edit → Protocol → Microsoft Graph');
    expect(refused).toContain('Set-OrganizationConfig -EwsAllowedAppIDs');
    expect(refused).toContain('2027-04-01');
    expect(refused).not.toMatch(/PATCH|\{id\}/);
    await check('ews-refused-summary');

    // The way out the message names: Endpoints → "Contoso EWS" → Edit offers Microsoft Graph and its permission list.
    await page.getByRole('link', { name: 'Endpoints' }).click();
    await page.getByRole('button', { name: 'Edit Contoso EWS' }).click();
    await page.getByRole('radio', { name: 'Microsoft Graph (recommended)' }).click();
    await page.getByLabel('Microsoft Graph application permissions').waitFor();
    await page.getByLabel('Application (client) ID').waitFor();
  });

  it('switched to Microsoft Graph, the same endpoint passes its checks and is the source of a Full Migration', async () => {
    // Still on Endpoints → "Contoso EWS" → Edit, Microsoft Graph chosen: the app registration's three values.
    await page.getByLabel('Application (client) ID').fill(FULL.clientId);
    await page.getByLabel('Directory (tenant) ID').fill(graph.tenantId);
    await page.getByLabel('Client secret').fill(FULL.secret);
    await page.getByRole('button', { name: 'Save and check' }).click();
    // Signed in over Graph this time: the app's token and the tenant are checked and pass.
    await summary().getByText('Passed', { exact: true }).first().waitFor();
    expect(await summary().getByText('Failed', { exact: true }).count()).toBe(0);
    expect(await summary().textContent()).not.toContain('EWS is disabled');
    await page.getByRole('button', { name: 'Back to endpoints' }).click();
    await page.getByRole('button', { name: 'Edit Contoso EWS' }).waitFor();

    // A project from the switched endpoint to a new mailbox, both endpoints chosen from the saved ones.
    await page.goto(host.url);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByLabel('Project name').fill('After the switch');
    await page.getByRole('button', { name: 'Next' }).click();
    const chooseSaved = async (name: RegExp) => {
      await page.getByRole('radio', { name: 'Use an existing endpoint' }).click();
      await page.getByRole('combobox', { name: /endpoint/ }).click();
      await page.getByRole('option', { name }).click();
      await saveAndSummarize();
      expect(await summary().getByText('Failed', { exact: true }).count()).toBe(0);
      await page.getByRole('button', { name: 'Next' }).click();
    };
    await chooseSaved(/^Contoso EWS/);
    await chooseSaved(/^Contoso \(destination\)/);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'After the switch' }).waitFor();

    await quickAddAndRunFull(SOURCE, SECOND_DESTINATION);
    expect(graph.read.items(SECOND_DESTINATION, 'Inbox').map((i) => i.subject)).toEqual(
      expect.arrayContaining(['Quarterly note 1', 'Quarterly note 2', 'Quarterly note 3']),
    );
    expect(graph.read.items(SECOND_DESTINATION, 'Inbox')).toHaveLength(3);
  });
});
