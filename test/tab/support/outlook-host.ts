/**
 * The Outlook host harness: serves ./outlook-host-page.html at https://outlook.office.com (by
 * request interception: there is no Microsoft here), which frames the add-in's page as Outlook on
 * the web does and answers Office.js's cross-frame calls. The add-in page loads the real office.js
 * and outlook-web-16.01.js from @microsoft/office-js, served with the tab, and Mailferry's stand-in
 * for MicrosoftAjax.js (tab/office-js/microsoft-ajax.js). Microsoft's CDNs (ajax.aspnetcdn.com,
 * appsforoffice.microsoft.com) answer nothing here: every request to them is refused and recorded,
 * so a test can say the taskpane asked none.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { makeAppCertificate } from '../../support/app-certificates.js';
import { waitUntil } from '../../support/wait-until.js';

const PAGE = readFileSync(new URL('./outlook-host-page.html', import.meta.url), 'utf8');
export const OUTLOOK_ORIGIN = 'https://outlook.office.com';
/** Where Office.js would fetch what it lacks: MicrosoftAjax.js, and office.js itself in most add-ins. */
const MICROSOFT_CDNS = ['https://ajax.aspnetcdn.com/**', 'https://appsforoffice.microsoft.com/**'];

export interface OutlookMailbox {
  /** Office.context.mailbox.userProfile: whose mailbox Outlook has open. */
  user: { emailAddress: string; displayName: string };
  /** The message being read: its body is what item.body.getAsync returns. */
  item: { id: string; subject: string; from: string; body: string };
}
export interface OutlookHostOptions extends OutlookMailbox {
  /** The add-in page Outlook opens (the manifest's runtimes[].code.page). */
  pageUrl: string;
  addinName: string;
}
export interface OutlookHostLog {
  /** Every Office.js request the host received, by action name (ExecuteMethod with its dispatch id). */
  calls: string[];
  unknown: string[];
  problems: string[];
}

/** Makes every https://outlook.office.com page opened in `context` the harness for this mailbox and add-in. */
export async function installOutlookHost(context: BrowserContext, options: OutlookHostOptions): Promise<{ cdnRequests: string[] }> {
  const config = { ...options, locale: 'en-US', controlId: '7c1e9f30-0000-4000-8000-0000000000ad' };
  // Inside <script type="application/json">: only "</" could end the element early.
  const html = PAGE.replace('__CONFIG__', () => JSON.stringify(config).replace(/<\//g, '<\\/'));
  await context.route(`${OUTLOOK_ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
  );
  const cdnRequests: string[] = [];
  for (const cdn of MICROSOFT_CDNS)
    await context.route(cdn, (route) => {
      cdnRequests.push(route.request().url());
      return route.abort('internetdisconnected');
    });
  return { cdnRequests };
}

export async function outlookLog(page: Page): Promise<OutlookHostLog> {
  return page.evaluate(() => (window as unknown as { outlookHost: OutlookHostLog }).outlookHost);
}

/** The add-in's frame once it has loaded (the harness page has exactly one iframe). */
export async function addinFrame(page: Page): Promise<Frame> {
  let frame: Frame | undefined;
  await waitUntil(
    'the Outlook host to frame the add-in',
    () => {
      frame = page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith('https://'));
      return frame !== undefined;
    },
    { describe: async () => `frames ${page.frames().map((f) => f.url())}; host ${JSON.stringify(await outlookLog(page).catch(String))}` },
  );
  return frame!;
}

/**
 * HTTPS in front of a plain-HTTP listener, as the reverse proxy in front of the embedded host's
 * end-user port (docs/embedded-host.md): Outlook opens add-in pages over HTTPS only.
 */
export async function startTlsProxy(targetPort: number, commonName: string): Promise<{ port: number; close(): Promise<void> }> {
  const { certPem, keyPem } = makeAppCertificate({ commonName });
  const server: Server = createHttpsServer({ cert: certPem, key: keyPem }, (req, res) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
