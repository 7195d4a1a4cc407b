/**
 * The admin console inside Teams, in Chromium: the Teams host harness (./support/teams-host.ts)
 * opens the personal tab from the filled app manifest, answers teams-js's initialize, getContext
 * and authentication.getAuthToken (a token from the local Entra stand-in, for the manifest's
 * webApplicationInfo.resource), and the tab calls the Azure Functions handler with that token.
 * Then the same for the link on a pass card's "Open in Mailferry" button.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Browser, BrowserContext, Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillPlaceholders, TEMPLATE_PATH } from '../../appPackage/scripts/manifest-tools.mjs';
import { buildPassEndedMessage } from '../../api/core/notifications/pass-card.js';
import type { Pass, Project } from '../../api/core/model.js';
import { freePort } from '../support/dovecot.js';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer.js';
import { waitUntil } from '../support/wait-until.js';
import { buildTab, CHROMIUM, launchChromium, screenshot } from './support/console-harness.js';
import { startFunctionsSite, type FunctionsSite } from './support/functions-site.js';
import {
  installTeamsHost,
  setTeamsTheme,
  tabFrame,
  teamsLog,
  TEAMS_ORIGIN,
  type TeamsHostOptions,
  type TeamsUser,
} from './support/teams-host.js';

const TAB_HOST = 'mailferry.contoso.test';
const CONTOSO: TeamsUser & { name: string } = {
  tid: '11111111-1111-4111-8111-111111111111',
  oid: 'a0a0a0a0-0000-4000-8000-0000000000a1',
  upn: 'adele@contoso.test',
  name: 'Adele Vance',
};
const FABRIKAM: TeamsUser & { name: string } = {
  tid: '22222222-2222-4222-8222-222222222222',
  oid: 'b0b0b0b0-0000-4000-8000-0000000000b1',
  upn: 'bob@fabrikam.test',
  name: 'Bob Kelly',
};
/** Teams' web and desktop clients: the ids an SSO app pre-authorizes (docs: "Register your app in Entra ID"). */
const TEAMS_WEB_CLIENT_ID = '5e3ce6c0-2b1f-4285-8d4b-75ee78787346';

describe('the admin console as a Teams tab, against the Azure Functions handler', () => {
  let browser: Browser;
  let staticDir: string;
  let issuer: TestIssuer;
  let site: FunctionsSite;
  let manifest: { id: string; webApplicationInfo: { id: string } } & Record<string, unknown>;
  let tokens: Map<string, string>;
  let contosoProject: { id: string; name: string };

  // Teams asks Entra ID for a token for webApplicationInfo.resource; the app asks for v2 tokens
  // (aad.manifest.json requestedAccessTokenVersion 2), whose audience is the client id, which is what
  // the Function App accepts (infra/main.parameters.json: entraAudiences = AAD_APP_CLIENT_ID).
  const tokenFor = (user: typeof CONTOSO) =>
    issuer.mint(
      { tid: user.tid, oid: user.oid, name: user.name, preferred_username: user.upn, azp: TEAMS_WEB_CLIENT_ID },
      { audience: manifest.webApplicationInfo.id },
    );

  beforeAll(async () => {
    await (await launchChromium()).close(); // names the missing binary if Chromium is absent
    const port = await freePort();
    const { text, missing } = fillPlaceholders(readFileSync(TEMPLATE_PATH, 'utf8'), {
      TEAMS_APP_ID: '0d3c9b1e-5a4f-4e2b-9c1d-7f6e5d4c3b2a',
      AAD_APP_CLIENT_ID: '8e7d6c5b-4a39-4281-b0f1-e2d3c4b5a697',
      APP_VERSION: '1.0.0',
      TAB_DOMAIN: `${TAB_HOST}:${port}`,
      PRIVACY_URL: 'https://contoso.test/privacy',
      TERMS_OF_USE_URL: 'https://contoso.test/terms',
    });
    expect(missing).toEqual([]);
    manifest = JSON.parse(text);
    const { chromium } = await import('playwright-core');
    [browser, staticDir, issuer] = await Promise.all([
      // The tab's name resolves to loopback here; Chromium's Local Network Access checks would then refuse to
      // let https://teams.microsoft.com (a public origin) frame it. In Teams both are public: switch them off.
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          `--host-resolver-rules=MAP ${TAB_HOST} 127.0.0.1`,
          '--disable-features=LocalNetworkAccessChecks',
        ],
      }),
      buildTab(),
      startTestIssuer(),
    ]);
    site = await startFunctionsSite({
      staticDir,
      issuer,
      port,
      audience: manifest.webApplicationInfo.id,
      owners: { [CONTOSO.tid]: CONTOSO.oid, [FABRIKAM.tid]: FABRIKAM.oid },
    });
    tokens = new Map([
      [CONTOSO.upn, await tokenFor(CONTOSO)],
      [FABRIKAM.upn, await tokenFor(FABRIKAM)],
    ]);

    // Each tenant's own project, made through the same handler as its owner.
    for (const [user, name] of [
      [CONTOSO, 'Contoso wave 1'],
      [FABRIKAM, 'Fabrikam secret merger'],
    ] as const) {
      const token = tokens.get(user.upn)!;
      const endpoint = await site.call(token, 'POST', '/endpoints', { name: `${name} IMAP`, kind: 'imap', host: 'imap.example.test' });
      expect(endpoint.status, JSON.stringify(endpoint.json)).toBe(201);
      const endpointId = (endpoint.json as { id: string }).id;
      const project = await site.call(token, 'POST', '/projects', {
        name,
        sourceEndpointId: endpointId,
        destinationEndpointId: endpointId,
      });
      expect(project.status, JSON.stringify(project.json)).toBe(201);
      if (user === CONTOSO) contosoProject = project.json as { id: string; name: string };
    }
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await issuer?.close();
    if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  });

  async function openInTeams(
    link: string,
    options: Partial<TeamsHostOptions> = {},
  ): Promise<{ context: BrowserContext; page: Awaited<ReturnType<BrowserContext['newPage']>>; tab: Frame }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    await installTeamsHost(context, { manifest, user: CONTOSO, token: tokens.get(CONTOSO.upn), ...options });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(link);
    return { context, page, tab: await tabFrame(page) };
  }
  const personalTabLink = () => `${TEAMS_ORIGIN}/l/entity/${manifest.id}/admin-console`;

  it("shows the signed-in Teams user and only the token tenant's projects, and follows the host's theme", async () => {
    const { context, page, tab } = await openInTeams(personalTabLink());
    await tab.getByLabel(`Signed in as ${CONTOSO.upn}`).waitFor();
    await tab.getByText('Contoso wave 1').waitFor();
    expect(await tab.getByText('Fabrikam secret merger').count()).toBe(0);
    // Every API call carried the Teams token and none was refused: nothing left before Teams answered.
    const apiCalls = site.requests.filter((r) => r.path.startsWith('/api/v1/projects'));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.filter((r) => !r.bearer || r.status >= 400)).toEqual([]);

    const theme = () => tab.locator('[data-theme]').first().getAttribute('data-theme');
    const background = () => tab.locator('header').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await theme()).toBe('light');
    const light = await background();
    await screenshot(page, 'teams-tab-light');
    await setTeamsTheme(page, 'dark');
    await waitUntil('the tab to switch to the dark theme', async () => (await theme()) === 'dark');
    const dark = await background();
    expect(dark).not.toBe(light);
    await screenshot(page, 'teams-tab-dark');
    await setTeamsTheme(page, 'contrast');
    await waitUntil('the tab to switch to the high-contrast theme', async () => (await theme()) === 'contrast');
    expect(await background()).not.toBe(dark);
    await screenshot(page, 'teams-tab-contrast');

    const log = await teamsLog(page);
    expect(log.problems).toEqual([]);
    expect(log.unknown).toEqual([]);
    expect(new Set(log.requests.map((r) => r.func))).toEqual(
      new Set(['initialize', 'getContext', 'authentication.getAuthToken', 'registerHandler']),
    );
    await context.close();
  });

  it('shows another tenant its own projects only', async () => {
    const { context, tab } = await openInTeams(personalTabLink(), { user: FABRIKAM, token: tokens.get(FABRIKAM.upn) });
    await tab.getByLabel(`Signed in as ${FABRIKAM.upn}`).waitFor();
    await tab.getByText('Fabrikam secret merger').waitFor();
    expect(await tab.getByText('Contoso wave 1').count()).toBe(0);
    await context.close();
  });

  it('shows no project when Teams gives the tab no token', async () => {
    const { context, page, tab } = await openInTeams(personalTabLink(), { token: undefined });
    await tab.getByLabel(`Signed in as ${CONTOSO.upn}`).waitFor();
    await tab.getByRole('alert').first().waitFor();
    expect(await tab.getByText('Contoso wave 1').count()).toBe(0);
    expect((await teamsLog(page)).requests.some((r) => r.func === 'authentication.getAuthToken')).toBe(true);
    await context.close();
  });

  it('opens the project a pass card\'s "Open in Mailferry" button links to', async () => {
    const project = { ...contosoProject, tenantId: CONTOSO.tid } as unknown as Project;
    const pass = {
      tenantId: CONTOSO.tid,
      id: 'pass-1',
      version: 2,
      projectId: contosoProject.id,
      kind: 'full',
      itemIds: [],
      options: {},
      status: 'completed',
      createdAt: '2026-12-05T08:00:00.000Z',
      summary: {
        items: 0,
        completed: 0,
        completedWithErrors: 0,
        failedItems: 0,
        stopped: 0,
        copied: 0,
        skipped: 0,
        failed: 0,
        bytes: 0,
        durationMs: 1_000,
      },
    } as unknown as Pass;
    // The tab link the Azure host gives the notifier: the manifest's app id and the console tab's entityId (api/functions/azure-host.ts).
    const card = JSON.stringify(
      buildPassEndedMessage({ project, pass, topErrors: [] }, { tabLink: { teamsAppId: manifest.id, tabEntityId: 'admin-console' } }),
    );
    const button = /"type":"Action\.OpenUrl"[^}]*?"url":"([^"]+)"|"url":"([^"]+)"[^}]*?"type":"Action\.OpenUrl"/.exec(card);
    const link = button?.[1] ?? button?.[2];
    expect(link, card).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/entity\//);

    const { context, page, tab } = await openInTeams(link!);
    await waitUntil('the tab to open the linked project', () => new URL(tab.url()).pathname === `/projects/${contosoProject.id}`);
    await tab.getByRole('heading', { name: 'Contoso wave 1' }).waitFor();
    expect((await teamsLog(page)).problems).toEqual([]);
    await screenshot(page, 'teams-tab-deep-link');
    await context.close();
  });
});
