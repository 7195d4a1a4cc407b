/**
 * The Teams host harness: opens a Teams link (https://teams.microsoft.com/l/entity/…) in Chromium
 * and plays Teams' side of it with ./teams-host-page.html, which frames the tab named by the app
 * manifest and answers the tab's teams-js messages. Chromium sees the real origin
 * https://teams.microsoft.com (the page is served by request interception, there being no
 * Microsoft here), so teams-js's own origin check runs against the list it ships with. teams-js
 * also asks a Microsoft CDN for a fresher list; that request is refused here and teams-js falls
 * back to its built-in list, as it does when the CDN is slow.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { waitUntil } from '../../support/wait-until.js';

const PAGE = readFileSync(new URL('./teams-host-page.html', import.meta.url), 'utf8');
export const TEAMS_ORIGIN = 'https://teams.microsoft.com';
const TEAMS_JS_CDN = 'https://res.cdn.office.net/**';
/** The teams-js version the host says it supports (initialize's 4th answer); the tab's own is 2.58.0. */
const HOST_SDK_VERSION = '2.58.0';

export interface TeamsUser {
  tid: string;
  oid: string;
  upn: string;
}
export type TeamsTheme = 'default' | 'dark' | 'contrast';
export interface TeamsHostLog {
  requests: { func: string; args: unknown[] }[];
  unknown: string[];
  problems: string[];
}

export interface TeamsHostOptions {
  /** The filled app manifest (appPackage/manifest.json with its ${{VARS}} set), as Teams installed it. */
  manifest: Record<string, unknown>;
  user: TeamsUser;
  /** What authentication.getAuthToken answers; none makes it fail as Teams does without consent. */
  token?: string;
  theme?: TeamsTheme;
}

/** Makes every Teams link opened in `context` land on the harness page for this user and app. */
export async function installTeamsHost(context: BrowserContext, options: TeamsHostOptions): Promise<void> {
  const config = {
    manifest: options.manifest,
    user: options.user,
    token: options.token,
    theme: options.theme ?? 'default',
    sessionId: 'f0f0f0f0-0000-4000-8000-000000005e55',
    hostSdkVersion: HOST_SDK_VERSION,
  };
  // Inside <script type="application/json">: only "</" could end the element early.
  const html = PAGE.replace('__CONFIG__', () => JSON.stringify(config).replace(/<\//g, '<\\/'));
  await context.route(`${TEAMS_ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await context.route(TEAMS_JS_CDN, (route) => route.abort('internetdisconnected'));
}

export async function teamsLog(page: Page): Promise<TeamsHostLog> {
  return page.evaluate(() => (window as unknown as { teamsHost: TeamsHostLog }).teamsHost);
}

export async function setTeamsTheme(page: Page, theme: TeamsTheme): Promise<void> {
  await page.evaluate((next) => (window as unknown as { setTeamsTheme(t: string): void }).setTeamsTheme(next), theme);
}

/** The tab's frame once it has loaded (the harness page has exactly one iframe). */
export async function tabFrame(page: Page): Promise<Frame> {
  let frame: Frame | undefined;
  await waitUntil(
    'the Teams host to frame the tab',
    () => {
      frame = page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith('https://'));
      return frame !== undefined;
    },
    {
      describe: async () =>
        `frames ${page
          .frames()
          .map((f) => f.url())
          .join(', ')}; host ${JSON.stringify(await teamsLog(page).catch((e: Error) => e.message))}`,
    },
  );
  return frame!;
}
