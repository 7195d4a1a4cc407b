import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeAppCertificate } from '../support/app-certificates.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';

function mailferry(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the mailferry command line', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  let dataDir: string;

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startDovecot({ separator: '/', users: { 'cli@src.test': 'source-pw' } }),
      startDovecot({ separator: '.', users: { 'cli@dst.test': 'dest-pw' } }),
    ]);
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-cli-'));
    await fillMailbox(
      source,
      'cli@src.test',
      'INBOX',
      [1, 2, 3, 4].map((n) => ({ raw: sampleMessage(n, 3_000) })),
    );
    await fillMailbox(
      source,
      'cli@src.test',
      'Clients/Acme',
      [5, 6].map((n) => ({ raw: sampleMessage(n, 3_000) })),
    );
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates a mailbox in one command, and a second run copies only what is new', () => {
    const from = `imap://cli%40src.test@${source.host}:${source.port}`;
    const to = `imap://cli%40dst.test@${destination.host}:${destination.port}`;
    const env = { MAILFERRY_FROM_PASSWORD: 'source-pw', MAILFERRY_TO_PASSWORD: 'dest-pw' };
    const first = mailferry(['migrate', '--from', from, '--to', to, '--json', '--data', dataDir], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ status: 'Completed', copied: 6, skipped: 0, failed: 0 });
    expect(summary.folders).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'Clients/Acme', copied: 2 })]));

    const second = mailferry(['migrate', '--from', from, '--to', to, '--json', '--data', dataDir], env);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toMatchObject({ copied: 0, skipped: 6 });
  });

  it('leaves the destination with the same folders and counts', async () => {
    expect(countsOf(await snapshotMailbox(destination, 'cli@dst.test'))).toMatchObject({ INBOX: 4, 'Clients.Acme': 2 });
  });

  it('exits 1 and names the side when a password is wrong', () => {
    const result = mailferry([
      'migrate',
      '--from',
      `imap://cli%40src.test:wrong@${source.host}:${source.port}`,
      '--to',
      `imap://cli%40dst.test:dest-pw@${destination.host}:${destination.port}`,
      '--json',
      '--data',
      dataDir,
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/^Source/),
    });
  });

  it('exits 64 with a message that says what to fix for a malformed URL', () => {
    const result = mailferry(['migrate', '--from', 'http://nope', '--to', 'imap://a@b', '--data', dataDir]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/--from must start with imap:\/\/ or imaps:\/\//);
  });

  it('imports a CSV through the project commands and reports the bad row', () => {
    const data = ['--data', join(dataDir, 'projects')];
    const env = { ADMIN_PW: source.masterPassword };
    const endpoint = JSON.parse(
      mailferry(
        [
          'endpoint',
          'add',
          '--name',
          'Src',
          '--kind',
          'imap',
          '--host',
          source.host,
          '--port',
          String(source.port),
          '--security',
          'none',
          '--admin-mode',
          'plain-authzid',
          '--admin-login',
          source.masterUser,
          '--admin-password-env',
          'ADMIN_PW',
          ...data,
        ],
        env,
      ).stdout,
    );
    expect(endpoint.hasAdminPassword).toBe(true);
    const project = JSON.parse(
      mailferry(['project', 'create', '--name', 'CLI project', '--source', endpoint.id, '--destination', endpoint.id, ...data]).stdout,
    );
    const csvPath = join(dataDir, 'items.csv');
    writeFileSync(csvPath, 'Source Email,Destination Email\na@src.test,a@dst.test\nb@src.test,\n');
    const imported = mailferry(['item', 'import', '--project', project.id, '--csv', csvPath, ...data]);
    expect(imported.code).toBe(2);
    expect(imported.stdout).toMatch(/1 item\(s\) added/);
    expect(imported.stdout).toMatch(/line 3, Destination Email/);
  });

  it('adds Exchange and Microsoft 365 endpoints, keeps the app secret out of its output, and says what is missing', () => {
    const data = ['--data', join(dataDir, 'ews')];
    const env = { ADMIN_PW: 'admin-secret-pw', APP_SECRET: 'app-secret-value' };
    const exchange = mailferry(
      [
        'endpoint',
        'add',
        '--name',
        'Exchange 2016',
        '--kind',
        'exchange',
        '--host',
        'https://mail.contoso.test/owa',
        '--admin-mode',
        'delegation',
        '--admin-login',
        'migadmin@contoso.test',
        '--admin-password-env',
        'ADMIN_PW',
        ...data,
      ],
      env,
    );
    expect(JSON.parse(exchange.stdout)).toMatchObject({ kind: 'exchange', adminMode: 'delegation', hasAdminPassword: true });
    const m365 = mailferry(
      [
        'endpoint',
        'add',
        '--name',
        'Microsoft 365',
        '--kind',
        'm365',
        '--cloud',
        'commercial',
        '--auth-mechanism',
        'oauth-app',
        '--admin-mode',
        'impersonation',
        '--app-client-id',
        '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
        '--app-tenant-id',
        'contoso.onmicrosoft.com',
        '--app-secret-env',
        'APP_SECRET',
        ...data,
      ],
      env,
    );
    const created = JSON.parse(m365.stdout);
    expect(created).toMatchObject({ kind: 'm365', protocol: 'graph', authMechanism: 'oauth-app', hasAppSecret: true });
    // An admin whose tenant still allows EWS may switch back, and forth; an endpoint without an app cannot go to Graph.
    expect(
      JSON.parse(mailferry(['endpoint', 'set-protocol', '--endpoint', created.id, '--protocol', 'ews', ...data]).stdout),
    ).toMatchObject({ protocol: 'ews' });
    expect(mailferry(['endpoint', 'list', ...data]).stdout).toMatch(/Microsoft 365\s+m365\s+ews/);
    const basic = mailferry(
      [
        'endpoint',
        'add',
        '--name',
        'Basic 365',
        '--kind',
        'm365',
        '--protocol',
        'ews',
        '--admin-mode',
        'delegation',
        '--admin-login',
        'a@contoso.test',
        '--admin-password-env',
        'ADMIN_PW',
        ...data,
      ],
      env,
    );
    const toGraph = mailferry(['endpoint', 'set-protocol', '--endpoint', JSON.parse(basic.stdout).id, '--protocol', 'graph', ...data]);
    expect(toGraph.code).toBe(64);
    expect(toGraph.stdout + toGraph.stderr).toMatch(/no app registration.*Microsoft Graph signs in as an app/);
    // A Groups endpoint stays on EWS until switched; to Graph it needs the app its administrator signs in with.
    const group = JSON.parse(
      mailferry(
        [
          'endpoint',
          'add',
          '--name',
          'Team groups',
          '--kind',
          'm365-group',
          '--admin-mode',
          'delegation',
          '--admin-login',
          'a@contoso.test',
          '--admin-password-env',
          'ADMIN_PW',
          ...data,
        ],
        env,
      ).stdout,
    );
    expect(group).toMatchObject({ kind: 'm365-group', protocol: 'ews' });
    const noApp = mailferry(['endpoint', 'set-protocol', '--endpoint', group.id, '--protocol', 'graph', ...data]);
    expect(noApp.code).toBe(64);
    expect(noApp.stderr).toMatch(/appClientId: Groups over Microsoft Graph post as an administrator who signs in once/);
    const groupToGraph = mailferry([
      'endpoint',
      'set-protocol',
      '--endpoint',
      group.id,
      '--protocol',
      'graph',
      '--app-client-id',
      '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      '--app-tenant-id',
      'contoso.onmicrosoft.com',
      ...data,
    ]);
    expect(JSON.parse(groupToGraph.stdout)).toMatchObject({
      protocol: 'graph',
      appClientId: '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      hasSignIn: false,
    });
    expect(m365.stdout + m365.stderr + exchange.stdout + exchange.stderr).not.toMatch(/app-secret-value|admin-secret-pw/);
    const incomplete = mailferry([
      'endpoint',
      'add',
      '--name',
      'No secret',
      '--kind',
      'm365',
      '--auth-mechanism',
      'oauth-app',
      '--admin-mode',
      'impersonation',
      '--app-client-id',
      '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      ...data,
    ]);
    expect(incomplete.code).toBe(64);
    expect(incomplete.stdout + incomplete.stderr).toMatch(/appTenantId and either appClientSecret or appCertificate/);
  });

  it('adds a Microsoft 365 endpoint with an app certificate from a file and replaces it: the output shows the thumbprint and expiry, never the key', () => {
    const data = ['--data', join(dataDir, 'certificate')];
    const first = makeAppCertificate();
    const pemPath = join(dataDir, 'app.pem');
    writeFileSync(pemPath, first.pem);
    const added = mailferry([
      'endpoint',
      'add',
      '--name',
      'Graph with a certificate',
      '--kind',
      'm365',
      '--auth-mechanism',
      'oauth-app',
      '--app-client-id',
      '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      '--app-tenant-id',
      'contoso.onmicrosoft.com',
      '--app-certificate-file',
      pemPath,
      ...data,
    ]);
    expect(added.code).toBe(0);
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({
      protocol: 'graph',
      hasAppSecret: false,
      appCertificate: { subject: 'CN=Mailferry migration app', thumbprint: expect.stringMatching(/^[0-9A-F]{40}$/) },
    });
    const second = makeAppCertificate({ commonName: 'Mailferry 2027' });
    writeFileSync(pemPath, second.pem);
    const replaced = mailferry(['endpoint', 'edit', '--endpoint', created.id, '--app-certificate-file', pemPath, ...data]);
    expect(JSON.parse(replaced.stdout).appCertificate).toMatchObject({ subject: 'CN=Mailferry 2027' });
    const keyLine = first.keyPem.split('\n')[2]!;
    expect(added.stdout + added.stderr + replaced.stdout + replaced.stderr).not.toContain(keyLine);
    expect(added.stdout + replaced.stdout).not.toMatch(/PRIVATE KEY/);
    const missing = mailferry(['endpoint', 'edit', '--endpoint', created.id, '--app-certificate-file', join(dataDir, 'nope.pem'), ...data]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/--app-certificate-file .*nope\.pem cannot be read \(ENOENT\)/);
  });

  it('sends credential links when a pass starts from the command line, as the console does', () => {
    const dir = join(dataDir, 'end-user');
    const data = ['--data', dir];
    const env = { MAILFERRY_PUBLIC_URL: 'https://migrate.contoso.test' };
    const endpoint = JSON.parse(
      mailferry([
        'endpoint',
        'add',
        '--name',
        'Src',
        '--kind',
        'imap',
        '--host',
        source.host,
        '--port',
        String(source.port),
        '--security',
        'none',
        ...data,
      ]).stdout,
    );
    const project = JSON.parse(
      mailferry(['project', 'create', '--name', 'End users', '--source', endpoint.id, '--destination', endpoint.id, ...data]).stdout,
    );
    const item = JSON.parse(
      mailferry([
        'item',
        'add',
        '--project',
        project.id,
        '--source',
        'cli@src.test',
        '--destination',
        'cli@dst.test',
        '--end-user',
        ...data,
      ]).stdout,
    );
    expect(item.endUserCredentials).toBe(true);
    const started = mailferry(['pass', 'start', '--project', project.id, '--kind', 'verify', ...data], env);
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(/Credential links: 1 sent, 0 failed/);
    const outbox = readdirSync(join(dir, 'outbox'));
    expect(outbox).toHaveLength(1);
    const mail = readFileSync(join(dir, 'outbox', outbox[0]!), 'utf8');
    expect(mail).toMatch(/^To: .*cli@src\.test/m);
    expect(mail).toContain('https://migrate.contoso.test');
  });
});
