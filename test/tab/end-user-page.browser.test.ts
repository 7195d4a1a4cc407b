/**
 * The end-user credential page in a real Chromium, reached the way end users reach it: under the
 * public name a reverse proxy serves (Chromium resolves migrate.contoso.test to 127.0.0.1, so
 * every request carries that Host and that Origin), on the embedded host's end-user port.
 * Issue 10 #1 and #10: the page works there, the admin console does not, and no URL the browser
 * requests ever holds the link's token.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { freePort } from '../support/dovecot.js';
import { silentLog } from '../support/migration-fixture.js';
import { buildTab, CHROMIUM, launchChromium, seriousA11yViolations } from './support/console-harness.js';

const PUBLIC_NAME = 'migrate.contoso.test';

describe('the end-user page through a reverse proxy, in Chromium', () => {
  let browser: Browser;
  let runtime: EmbeddedRuntime;
  let servers: Server[] = [];
  let dataDir: string;
  let staticDir: string;
  let publicUrl: string;
  let adminUrl: string;
  let link: string;
  let token: string;

  const adminApi = async (method: string, path: string, body: unknown) =>
    (
      await fetch(`${adminUrl}/api/v1${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json() as Promise<{ id: string }>;

  beforeAll(async () => {
    // launchChromium() checks the binary is there; this test needs one extra switch on top.
    await (await launchChromium()).close();
    [browser, staticDir] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', `--host-resolver-rules=MAP ${PUBLIC_NAME} 127.0.0.1`],
      }),
      buildTab(),
    ]);
    const endUserPort = await freePort();
    publicUrl = `http://${PUBLIC_NAME}:${endUserPort}`;
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-end-user-page-'));
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

    // A source nobody listens on: the page's answer to a password is then a reason, not a copy.
    const endpoint = await adminApi('POST', '/endpoints', {
      name: 'Old IMAP',
      kind: 'imap',
      host: '127.0.0.1',
      port: await freePort(),
      security: 'none',
      adminMode: 'none',
    });
    const project = await adminApi('POST', '/projects', {
      name: 'Wave 2',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
    });
    await adminApi('POST', `/projects/${project.id}/items`, {
      sourceAddress: 'frank@contoso.test',
      destinationAddress: 'frank@fabrikam.test',
      endUserCredentials: true,
    });
    await adminApi('POST', `/projects/${project.id}/passes`, { kind: 'full' });
    const outbox = join(dataDir, 'outbox');
    const mail = readFileSync(join(outbox, readdirSync(outbox)[0]!), 'utf8').replace(/=\r?\n/g, '');
    link = new RegExp(`${publicUrl.replace(/\./g, '\\.')}/end-user/credentials#token=[A-Za-z0-9._-]+`).exec(mail)![0];
    token = link.split('#token=')[1]!;
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await runtime?.close();
    for (const dir of [dataDir, staticDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the request and takes a password, with the token only in POST bodies', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    await page.goto(link);
    await page.getByText('frank@fabrikam.test').first().waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Password of your current mailbox').fill('Frank-Pw-1');
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await page.getByRole('alert').first().waitFor();

    const apiCalls = requests.filter((r) => r.url().includes('/api/'));
    // The page may describe its link more than once as it mounts (a read); the set is what matters.
    expect([...new Set(apiCalls.map((r) => `${r.method()} ${new URL(r.url()).pathname}`))]).toEqual([
      'POST /api/v1/end-user/request',
      'POST /api/v1/end-user/credentials',
    ]);
    for (const request of requests) expect(request.url().split('#')[0], request.url()).not.toContain(token);
    expect(apiCalls.every((r) => r.postDataJSON()?.token === token)).toBe(true);
    // Opened from the e-mail, not from Outlook: a plain web page, without Office.js (tab/index.html loads it only for Outlook).
    expect(requests.filter((r) => r.url().includes('/office-js/'))).toEqual([]);
    expect(await page.evaluate(() => 'Office' in window)).toBe(false);
    await page.close();
  });

  // Issue 14 #6: the message bar wraps; the page was 2,000 px wide in a 1,000 px window and cut words on a phone.
  for (const [width, height] of [
    [1000, 800],
    [390, 844],
  ] as const) {
    it(`keeps a long message inside a ${width} px wide window`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      page.setDefaultTimeout(15_000);
      await page.goto(link);
      await page.getByLabel('Password of your current mailbox').fill('Frank-Pw-1');
      await page.getByRole('button', { name: 'Confirm password' }).click();
      await page.getByRole('alert').first().waitFor();
      await page.screenshot({ path: `/tmp/console-end-user-${width}.png`, fullPage: true });
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await page.close();
    });
  }

  it('serves Office.js from @microsoft/office-js for when Outlook hosts the page as its taskpane', async () => {
    for (const file of ['office.js', 'outlook-web-16.01.js', 'en-us/office_strings.js', 'en-us/outlook_strings.js']) {
      const res = await fetch(`http://127.0.0.1:${new URL(publicUrl).port}/office-js/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(/javascript/);
    }
  });

  it('does not serve the admin console or its API under the public name', async () => {
    const page = await browser.newPage();
    const home = await page.goto(`${publicUrl}/`);
    expect(home?.status()).toBe(404);
    const projects = await page.goto(`${publicUrl}/api/v1/projects`);
    expect(projects?.status()).toBe(404);
    await page.close();
  });
});
