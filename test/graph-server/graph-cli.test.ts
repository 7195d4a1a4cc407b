/**
 * `npm run graph-server` as a separate process (tsx directly, as npm does not pass signals on):
 * it prints GRAPH_URL, TOKEN_URL and READY; msal-node trusting TOKEN_CA_FILE gets a token the
 * server accepts; `--app ID:SECRET:perm,…` limits the app to those permissions; `--delta-link-lifetime`
 * expires delta links; budgets and windows by flag, and `--control-stdin` commands; bad flags get a
 * message naming what to fix; SIGTERM stops it cleanly.
 */
import { readFileSync } from 'node:fs';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterEach, describe, expect, it } from 'vitest';
import { trustingNetworkClient } from '../support/entra.js';
import { type RunningScript, killScript, scriptCommand, startScript, stopped } from '../support/script-process.js';
import { waitUntil } from '../support/wait-until.js';

async function tokenFor(values: Record<string, string>, clientId: string, secret: string): Promise<string> {
  const authority = values['TOKEN_AUTHORITY']!;
  expect(values['TOKEN_URL']).toBe(`${authority}/oauth2/v2.0/token`);
  const cca = new ConfidentialClientApplication({
    auth: { clientId, clientSecret: secret, authority, knownAuthorities: [new URL(authority).host] },
    system: { networkClient: trustingNetworkClient(readFileSync(values['TOKEN_CA_FILE']!, 'utf8')) },
  });
  return (await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }))!.accessToken;
}

describe('npm run graph-server (tsx test/support/graph/cli.ts)', () => {
  it('is the package script', () => {
    expect(scriptCommand('graph-server').slice(1)).toEqual(['test/support/graph/cli.ts']);
  });

  let running: RunningScript | undefined;
  afterEach(async () => {
    await killScript(running);
    running = undefined;
  });

  it('prints its addresses and READY, serves apps with all or only their listed permissions, stops on SIGTERM', async () => {
    running = await startScript('graph-server', [
      '--tenant',
      'contoso.onmicrosoft.com',
      '--users',
      'a@contoso.com,b@contoso.com',
      '--shared',
      's@contoso.com',
      '--groups',
      'g@contoso.com',
      '--app',
      'full-app:full-secret',
      '--app',
      'read-app:read-secret:User.Read.All,MailboxFolder.Read.All',
      '--accept-ews-export',
      'yes',
      '--delta-link-lifetime',
      '0',
    ]);
    const graphUrl = running.values['GRAPH_URL']!;
    expect(graphUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const full = await tokenFor(running.values, 'full-app', 'full-secret');
    const settings = await fetch(`${graphUrl}/v1.0/users/s@contoso.com/settings/exchange`, {
      headers: { Authorization: `Bearer ${full}` },
    });
    const { primaryMailboxId } = (await settings.json()) as { primaryMailboxId: string };
    expect(primaryMailboxId).toMatch(/^MBX:/);
    const session = await fetch(`${graphUrl}/v1.0/admin/exchange/mailboxes/${primaryMailboxId}/createImportSession`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${full}` },
    });
    expect(session.status).toBe(201);
    const delta = await fetch(`${graphUrl}/v1.0/admin/exchange/mailboxes/${primaryMailboxId}/folders/inbox/items/delta`, {
      headers: { Authorization: `Bearer ${full}` },
    });
    const { '@odata.deltaLink': deltaLink } = (await delta.json()) as { '@odata.deltaLink': string };
    const expired = await fetch(deltaLink, { headers: { Authorization: `Bearer ${full}` } });
    expect([expired.status, ((await expired.json()) as { error: { code: string } }).error.code]).toEqual([410, 'syncStateNotFound']); // --delta-link-lifetime 0

    const reader = await tokenFor(running.values, 'read-app', 'read-secret');
    const folders = await fetch(`${graphUrl}/v1.0/admin/exchange/mailboxes/${primaryMailboxId}/folders`, {
      headers: { Authorization: `Bearer ${reader}` },
    });
    expect(folders.status).toBe(200);
    const refused = await fetch(`${graphUrl}/v1.0/admin/exchange/mailboxes/${primaryMailboxId}/createImportSession`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${reader}` },
    });
    expect(refused.status).toBe(403);

    running.child.kill('SIGTERM');
    expect(await stopped(running.child)).toBe(0);
    expect(running.output()).toMatch(/stopped on SIGTERM: \d+ requests, \d+ responses checked/);
  });

  it('takes smaller budgets by flag, and with --control-stdin reports its throttle and changes its limits', async () => {
    running = await startScript('graph-server', [
      '--users',
      'a@contoso.com',
      '--app',
      'full-app:full-secret',
      '--requests-per-window',
      '2',
      '--request-window-seconds',
      '3600',
      '--upload-window-seconds',
      '3600',
      '--control-stdin',
    ]);
    const script = running;
    const token = await tokenFor(script.values, 'full-app', 'full-secret');
    const ask = () =>
      fetch(`${script.values['GRAPH_URL']}/v1.0/users/a@contoso.com/settings/exchange`, { headers: { Authorization: `Bearer ${token}` } });
    expect([(await ask()).status, (await ask()).status]).toEqual([200, 200]);
    const third = await ask();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(60); // the window is an hour long
    const answer = async (command: string, key: string): Promise<string> => {
      const before = script.output().length;
      script.child.stdin.write(`${command}\n`);
      const line = await waitUntil(`the server's ${key} line`, () => {
        const m = new RegExp(`^${key}=(.*)$`, 'm').exec(script.output().slice(before));
        return m?.[1];
      });
      return line;
    };
    expect(JSON.parse(await answer('counters', 'COUNTERS'))).toMatchObject({ admitted: 2, requestBudgetRefusals: 1 });
    expect(JSON.parse(await answer('limits {"requestsPerWindow": 3}', 'LIMITS'))).toMatchObject({
      requestsPerWindow: 3,
      requestWindowMs: 3_600_000,
      uploadWindowMs: 3_600_000,
    });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(429);
    expect(await answer('limits {"requestsPerWindow": 0}', 'ERROR')).toMatch(/requestsPerWindow must be one of/);
  });

  it('names the flag to fix', async () => {
    await expect(startScript('graph-server', ['--users', 'a@contoso.com'])).rejects.toThrow(/--app CLIENT_ID:SECRET is required/);
    await expect(startScript('graph-server', ['--app', 'x:y', '--accept-ews-export', 'maybe'])).rejects.toThrow(
      /--accept-ews-export expects yes or no/,
    );
    await expect(startScript('graph-server', ['--app', 'x:y', '--delta-link-lifetime', 'soon'])).rejects.toThrow(
      /--delta-link-lifetime expects a whole number/,
    );
  });
});
