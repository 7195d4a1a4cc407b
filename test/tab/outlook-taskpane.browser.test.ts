/**
 * The end-user page as the Outlook taskpane, in Chromium (issue 14). The Outlook host harness
 * (./support/outlook-host.ts) plays Outlook on the web at https://outlook.office.com: it frames the
 * manifest's runtime page, which loads the real Office.js (@microsoft/office-js, served with the
 * tab, with Mailferry's MicrosoftAjax stand-in before it) and talks to the harness over Office.js's
 * own cross-frame protocol. Office.js names the host Outlook, reports the mailbox owner and returns
 * the request e-mail's body, whose link gives the page its token: the page's URL has none, so
 * without a working Office.js the page has no request to show. The password is checked against a
 * real Dovecot; the link is spent once. The same page opened from the e-mail link stays a plain
 * web page that never loads Office.js. The page is the embedded host's end-user port behind HTTPS.
 *
 * Not proven here: Outlook itself (its real host page, sideloading the manifest, Outlook on
 * Windows or Mac, which use their own host files and channels) and Microsoft's MicrosoftAjax.js.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Request, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillPlaceholders, TEMPLATE_PATH } from '../../appPackage/scripts/manifest-tools.mjs';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { type DovecotServer, freePort, startDovecot } from '../support/dovecot.js';
import { silentLog } from '../support/migration-fixture.js';
import { buildTab, CHROMIUM, launchChromium, screenshot, seriousA11yViolations } from './support/console-harness.js';
import { addinFrame, installOutlookHost, OUTLOOK_ORIGIN, type OutlookMailbox, outlookLog, startTlsProxy } from './support/outlook-host.js';

const PUBLIC_NAME = 'migrate.contoso.test';
/** Whose mailbox is which: frank reads his request in Outlook, grace's item has a login the admin set, carol uses the link. */
const FRANK = { source: 'frank@contoso.test', dest: 'frank@fabrikam.test', password: 'Frank-Pw-1' };
const GRACE = { source: 'grace@contoso.test', dest: 'grace@fabrikam.test', login: 'grace.hansen' };
const CAROL = { source: 'carol@contoso.test', dest: 'carol@fabrikam.test', password: 'Carol-Pw-3' };
/** Exchange's spelling of Frank's address, as Office.context.mailbox.userProfile gives it: only Office.js knows it. */
const FRANK_IN_OUTLOOK = { emailAddress: 'Frank@Contoso.test', displayName: 'Frank Miller' };

interface Mail {
  body: string;
  link: string;
  token: string;
}

describe('the end-user page as the Outlook taskpane, with Office.js', () => {
  let browser: Browser;
  let runtime: EmbeddedRuntime;
  let dovecot: DovecotServer;
  let servers: Server[] = [];
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let dataDir: string;
  let staticDir: string;
  let adminUrl: string;
  let publicUrl: string;
  let pageUrl: string;
  const mails: Record<string, Mail> = {};
  const itemIds: Record<string, string> = {};

  const adminApi = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${adminUrl}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  };

  const inOutlook = async (mailbox: OutlookMailbox) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 } });
    const { cdnRequests } = await installOutlookHost(context, { pageUrl, addinName: 'Mailferry', ...mailbox });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const requests: Request[] = [];
    const responses: Response[] = [];
    page.on('request', (request) => requests.push(request));
    page.on('response', (response) => responses.push(response));
    await page.goto(`${OUTLOOK_ORIGIN}/mail/inbox/id/${mailbox.item.id}`);
    return { context, page, pane: await addinFrame(page), requests, responses, cdnRequests };
  };
  const requestMail = (mail: Mail, id: string) => ({
    id,
    subject: 'Confirm your mailbox password',
    from: 'mailferry@contoso.test',
    body: mail.body,
  });

  beforeAll(async () => {
    await (await launchChromium()).close(); // names the missing binary if Chromium is absent
    [browser, staticDir, dovecot] = await Promise.all([
      // The page's name resolves to loopback here; Local Network Access checks would then stop an Office origin from framing it.
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          `--host-resolver-rules=MAP ${PUBLIC_NAME} 127.0.0.1`,
          '--disable-features=LocalNetworkAccessChecks',
        ],
      }),
      buildTab(),
      startDovecot({ users: { [FRANK.source]: FRANK.password, [CAROL.source]: CAROL.password } }),
    ]);
    const endUserPort = await freePort();
    proxy = await startTlsProxy(endUserPort, PUBLIC_NAME);
    publicUrl = `https://${PUBLIC_NAME}:${proxy.port}`;
    // The page Outlook opens is the one the add-in manifest names (appPackage/manifest.json).
    const { text } = fillPlaceholders(readFileSync(TEMPLATE_PATH, 'utf8'), { TAB_DOMAIN: `${PUBLIC_NAME}:${proxy.port}` });
    pageUrl = JSON.parse(text.replace(/\$\{\{[A-Z_]+\}\}/g, 'x')).extensions[0].runtimes[0].code.page;
    expect(pageUrl).toBe(`${publicUrl}/end-user/credentials`);

    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-outlook-taskpane-'));
    runtime = await EmbeddedRuntime.open({ dataDir, log: silentLog, publicBaseUrl: publicUrl });
    const admin = await startHttpServer(runtime.services, { port: 0, staticDir, log: silentLog });
    const endUser = await startHttpServer(runtime.services, {
      port: endUserPort,
      staticDir,
      log: silentLog,
      surface: 'end-user',
      publicUrl,
    });
    servers = [admin.server, endUser.server];
    adminUrl = admin.url;

    const endpoint = await adminApi('POST', '/endpoints', {
      name: 'Old IMAP',
      kind: 'imap',
      host: dovecot.host,
      port: dovecot.port,
      security: 'none',
      adminMode: 'none',
    });
    const project = await adminApi('POST', '/projects', {
      name: 'Wave 3',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
    });
    for (const [name, user] of Object.entries({ frank: FRANK, grace: GRACE, carol: CAROL })) {
      const item = await adminApi('POST', `/projects/${project.id}/items`, {
        sourceAddress: user.source,
        destinationAddress: user.dest,
        endUserCredentials: true,
        ...('login' in user ? { sourceLogin: user.login } : {}),
      });
      itemIds[name] = item.id;
    }
    await adminApi('POST', `/projects/${project.id}/passes`, { kind: 'full' });
    // The embedded host writes each credential e-mail to <data>/outbox/ (no SMTP configured).
    const outbox = join(dataDir, 'outbox');
    const linkPattern = new RegExp(`${publicUrl.replace(/\./g, '\\.')}/end-user/credentials#token=[A-Za-z0-9._-]+`);
    for (const file of readdirSync(outbox)) {
      const body = readFileSync(join(outbox, file), 'utf8').replace(/=\r?\n/g, '');
      const to = /^To: .*?([a-z]+)@contoso\.test/im.exec(body)?.[1];
      const link = linkPattern.exec(body)?.[0];
      if (to && link) mails[to] = { body, link, token: link.split('#token=')[1]! };
    }
    expect(Object.keys(mails).sort()).toEqual(['carol', 'frank', 'grace']);
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await runtime?.close();
    await dovecot?.stop();
    for (const dir of [dataDir, staticDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("inside Outlook: Office.js starts without Microsoft's CDN, the link comes from the message, the login is the owner's address, and the link is spent once", async () => {
    const frank = mails['frank']!;
    const { context, page, pane, requests, responses, cdnRequests } = await inOutlook({
      user: FRANK_IN_OUTLOOK,
      item: requestMail(frank, 'AAMkAD-frank'),
    });
    // The page's own URL has no token: the request it shows is the one in the message Outlook is showing.
    expect(pane.url()).toBe(pageUrl);
    await pane.getByText(FRANK.dest).first().waitFor();
    expect(await pane.getByLabel('Login name').inputValue()).toBe(FRANK_IN_OUTLOOK.emailAddress);
    const office = await pane.evaluate(async () => {
      const { Office } = window as unknown as {
        Office: { onReady(): Promise<{ host: string; platform: string }>; context: { mailbox: { userProfile: { emailAddress: string } } } };
      };
      return { ready: await Office.onReady(), owner: Office.context.mailbox.userProfile.emailAddress };
    });
    expect(office).toMatchObject({ ready: { host: 'Outlook', platform: 'OfficeOnline' }, owner: FRANK_IN_OUTLOOK.emailAddress });
    // Everything Office.js needed came from the add-in's own origin; Microsoft's CDNs were never asked.
    const officeFiles = responses.filter((r) => new URL(r.url()).pathname.startsWith('/office-js/'));
    expect(officeFiles.map((r) => `${new URL(r.url()).pathname} ${r.status()}`)).toEqual(
      expect.arrayContaining(['/office-js/microsoft-ajax.js 200', '/office-js/office.js 200', '/office-js/outlook-web-16.01.js 200']),
    );
    // Only Office's telemetry sink is missing, on purpose: without it Office.js turns its telemetry off (office.js
    // OTelLogger.attachLegacyAgaveSink) instead of reporting the end user's session to Microsoft's collectors.
    expect(officeFiles.filter((r) => r.status() >= 400).map((r) => new URL(r.url()).pathname)).toEqual([
      '/office-js/telemetry/oteljs_agave.js',
    ]);
    expect(cdnRequests).toEqual([]);
    await screenshot(page, 'outlook-taskpane');

    await pane.getByLabel('Password of your current mailbox').fill(FRANK.password);
    await pane.getByRole('button', { name: 'Confirm password' }).click();
    await pane.getByText('Confirmed').waitFor();
    const posted = requests.filter((r) => r.method() === 'POST' && r.url().includes('/api/v1/end-user/'));
    expect(posted.map((r) => r.postDataJSON()?.token)).toEqual(posted.map(() => frank.token));
    expect(posted.find((r) => r.url().endsWith('/credentials'))?.postDataJSON()?.login).toBe(FRANK_IN_OUTLOOK.emailAddress);
    for (const request of requests) expect(request.url().split('#')[0], request.url()).not.toContain(frank.token);

    const log = await outlookLog(page);
    expect(log.problems).toEqual([]);
    expect(log.unknown).toEqual([]);
    expect(log.calls).toEqual(
      expect.arrayContaining(['ContextActivationManager_getAppContextAsync', 'GetInitialData', 'ExecuteMethod 37']),
    );
    await context.close();

    // The item is queued with the login Outlook gave; the link is spent: neither the page nor a second try can use it again.
    const item = await runtime.services.deps.store.items.get(LOCAL_TENANT, itemIds['frank']!);
    expect({ status: item?.status, login: item?.sourceLogin }).toEqual({ status: 'Queued', login: FRANK_IN_OUTLOOK.emailAddress });
    const reopened = await browser.newContext({ ignoreHTTPSErrors: true });
    const linkPage = await reopened.newPage();
    linkPage.setDefaultTimeout(20_000);
    await linkPage.goto(frank.link);
    await linkPage.getByText('This link cannot be used').waitFor();
    expect(await linkPage.getByLabel('Password of your current mailbox').count()).toBe(0);
    const again = await linkPage.evaluate(
      async (body) => {
        const res = await fetch('/api/v1/end-user/credentials', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return { status: res.status, accepted: ((await res.json()) as { accepted?: boolean }).accepted };
      },
      JSON.stringify({ token: frank.token, login: FRANK.source, password: FRANK.password }),
    );
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.accepted).not.toBe(true);
    await reopened.close();
  });

  it('inside Outlook, keeps the login the admin set for the mailbox rather than the owner address', async () => {
    const { context, pane } = await inOutlook({
      user: { emailAddress: 'Grace@Contoso.test', displayName: 'Grace Hansen' },
      item: requestMail(mails['grace']!, 'AAMkAD-grace'),
    });
    await pane.getByText(GRACE.dest).first().waitFor();
    expect(await pane.getByLabel('Login name').inputValue()).toBe(GRACE.login);
    await context.close();
  });

  it('opened from the e-mail link, stays a plain web page that never loads Office.js, and takes the password', async () => {
    const carol = mails['carol']!;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    await page.goto(carol.link);
    await page.getByText(CAROL.dest).first().waitFor();
    expect(await page.getByLabel('Login name').inputValue()).toBe(CAROL.source);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Password of your current mailbox').fill(CAROL.password);
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await page.getByText('Confirmed').waitFor();
    expect(requests.filter((r) => r.url().includes('/office-js/')).map((r) => r.url())).toEqual([]);
    expect(await page.evaluate(() => ['Office', 'Sys', 'Type'].filter((name) => name in window))).toEqual([]);
    await context.close();
  });
});
