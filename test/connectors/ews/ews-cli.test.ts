/**
 * `npm run ews-server` as a separate process: it prints its addresses, answers ews-javascript-api
 * with Basic auth (admin with impersonation), hands out tokens a separate msal-node process can
 * fetch with NODE_EXTRA_CA_CERTS and nothing else, and stops cleanly on SIGINT / SIGTERM.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  FolderView,
  ImpersonatedUserId,
  OAuthCredentials,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { findRepoRoot } from '../../support/ews/schema-validator.js';
import { type RunningScript, killScript, scriptCommand, startScript, stopped } from '../../support/script-process.js';

const execFileP = promisify(execFile);
const APP = { clientId: '0c9e3a1d-2222-4333-8444-955566667777', clientSecret: 'cli-secret' };

describe('npm run ews-server (tsx test/support/ews/cli.ts)', () => {
  it('is the package script', () => {
    expect(scriptCommand('ews-server').slice(1)).toEqual(['test/support/ews/cli.ts']);
  });

  let running: RunningScript | undefined;
  afterEach(async () => {
    await killScript(running);
    running = undefined;
  });

  it("serves EWS with Basic auth and the admin's impersonation, then stops on SIGINT", async () => {
    running = await startScript('ews-server', [
      '--users',
      'alice@contoso.test:pw1,bob@contoso.test:pw2',
      '--admin',
      'admin@contoso.test:apw',
      '--groups',
      'team@contoso.test',
    ]);
    const url = running.values['EWS_URL']!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx$/);
    const svc = new ExchangeService(ExchangeVersion.Exchange2013);
    svc.Credentials = new WebCredentials('admin@contoso.test', 'apw');
    svc.Url = new Uri(url);
    svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, 'bob@contoso.test');
    const found = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(100));
    expect(found.Folders.map((f) => f.DisplayName)).toContain('Inbox');

    running.child.kill('SIGINT');
    expect(await stopped(running.child)).toBe(0);
    expect(running.output()).toMatch(/stopped on SIGINT: \d+ requests/);
  });

  it('with --ews-disabled every call answers 403 with X-EWS-Policy-Reason', async () => {
    running = await startScript('ews-server', ['--users', 'alice@contoso.test:pw1', '--ews-disabled']);
    const res = await fetch(running.values['EWS_URL']!, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('alice@contoso.test:pw1').toString('base64')}` },
      body: '',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ews-policy-reason')).toBe('EWS is disabled for this user or tenant');
    running.child.kill('SIGTERM');
    expect(await stopped(running.child)).toBe(0);
  });

  it('with --oauth-app: a separate msal-node process trusting TOKEN_CA_FILE via NODE_EXTRA_CA_CERTS gets a token EWS accepts; stops on SIGTERM', async () => {
    running = await startScript('ews-server', ['--users', 'alice@contoso.test:pw1', '--oauth-app', `${APP.clientId}:${APP.clientSecret}`]);
    const { EWS_URL: url, TOKEN_AUTHORITY: authority, TOKEN_CA_FILE: caFile } = running.values as Record<string, string>;
    expect(authority).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+$/);
    const host = new URL(authority!).host;
    // msal-node's own HttpClient (global fetch): only the CA file and knownAuthorities are needed.
    const script =
      `import { ConfidentialClientApplication } from '@azure/msal-node';` +
      `const cca = new ConfidentialClientApplication({ auth: { clientId: '${APP.clientId}', clientSecret: '${APP.clientSecret}', authority: '${authority}', knownAuthorities: ['${host}'] } });` +
      `const r = await cca.acquireTokenByClientCredential({ scopes: ['https://outlook.office365.com/.default'] });` +
      `process.stdout.write(r.accessToken);`;
    const { stdout: token } = await execFileP(process.execPath, ['--input-type=module', '-e', script], {
      cwd: findRepoRoot(),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(token.split('.')).toHaveLength(3);

    const svc = new ExchangeService(ExchangeVersion.Exchange2013);
    svc.Credentials = new OAuthCredentials(token);
    svc.Url = new Uri(url!);
    svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, 'alice@contoso.test');
    const found = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(100));
    expect(found.TotalCount).toBeGreaterThan(0);

    running.child.kill('SIGTERM');
    expect(await stopped(running.child)).toBe(0);
    expect(running.output()).toMatch(/stopped on SIGTERM/);
  });
});
