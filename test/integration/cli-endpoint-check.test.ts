/**
 * A Microsoft 365 endpoint over Graph set up from the command line, as an admin does it: `endpoint
 * add` says which application permissions to grant and how to check them; `endpoint check` (the
 * wizard's "Save and Go to Summary") prints each check with what to fix and exits non-zero when one
 * failed. A CLI process (tsx, real msal-node) against the Graph test server, its Entra stand-in
 * found through MAILFERRY_ENTRA_AUTHORITY_HOST and trusted through NODE_EXTRA_CA_CERTS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_GRAPH_PERMISSIONS, GRAPH_PERMISSIONS as P } from '../../api/connectors/graph/permissions.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';

const MAILBOX = 'b@contoso.com';
const FULL = { clientId: '6a1b2c3d-1111-4222-8333-944455550001', secret: 'Full-Secret-1' };
/** The admin left out the import permission. */
const NO_IMPORT = {
  clientId: '6a1b2c3d-1111-4222-8333-944455550002',
  secret: 'NoImp-Secret-1',
  permissions: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.import),
};

describe('mailferry endpoint add / endpoint check for Microsoft 365 over Graph', () => {
  let graph: GraphTestServer;
  let dataDir: string;
  let env: Record<string, string>;

  /** A CLI process; asynchronous, because the Graph test server answers it from this process's event loop. */
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args, '--data', dataDir], {
        env: { ...process.env, ...env, ...extra },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const add = (name: string, app: { clientId: string; secret: string }) =>
    cli(
      [
        'endpoint',
        'add',
        '--name',
        name,
        '--kind',
        'm365',
        '--auth-mechanism',
        'oauth-app',
        '--app-client-id',
        app.clientId,
        '--app-tenant-id',
        graph.tenantId,
        '--app-secret-env',
        'APP_SECRET',
        '--host',
        graph.graphUrl,
      ],
      { APP_SECRET: app.secret },
    );

  beforeAll(async () => {
    graph = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: ['a@contoso.com', MAILBOX], apps: [FULL, NO_IMPORT] });
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-cli-check-'));
    env = { MAILFERRY_ENTRA_AUTHORITY_HOST: `https://${graph.tokenEndpoint.host}`, NODE_EXTRA_CA_CERTS: graph.tokenEndpoint.caFile };
  }, 120_000);
  afterAll(async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await graph?.close();
  });

  it('endpoint add names the permissions to grant and the check to run; stdout stays the JSON', async () => {
    const added = await add('Contoso', FULL);
    expect(added.code).toBe(0);
    const endpoint = JSON.parse(added.stdout);
    // Saved as the console saves it: an app registration opens mailboxes by impersonation (not "admin: none").
    expect(endpoint).toMatchObject({ kind: 'm365', protocol: 'graph', adminMode: 'impersonation' });
    for (const permission of ALL_GRAPH_PERMISSIONS) expect(added.stderr).toContain(`\n  ${permission}\n`);
    expect(added.stderr).toContain('Grant admin consent');
    expect(added.stderr).toContain(`mailferry endpoint check --endpoint ${endpoint.id} --test-mailbox`);
  });

  it('endpoint check passes every permission of a full app, and exits 0', async () => {
    const checked = await cli(['endpoint', 'check', 'Contoso', '--test-mailbox', MAILBOX]);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('Checks of endpoint "Contoso":');
    expect(checked.stdout).toMatch(new RegExp(`passed +${P.import.replace(/\./g, '\\.')}: The app may import items`));
    expect(checked.stdout).not.toMatch(/FAILED/);
    expect(checked.stdout.trim().split('\n').at(-1)).toBe('No check failed.');
  });

  it('endpoint check of an app without the import permission: one FAILED line naming it and where, exit 1; as a source, a warning', async () => {
    await add('Contoso without import', NO_IMPORT);
    const checked = await cli([
      'endpoint',
      'check',
      '--endpoint',
      'Contoso without import',
      '--test-mailbox',
      MAILBOX,
      '--side',
      'destination',
    ]);
    expect(checked.code).toBe(1);
    const failed = checked.stdout.split('\n').filter((l) => l.includes('FAILED'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(`FAILED   ${P.import}: The app may not import items (as a destination) in ${MAILBOX}.`);
    expect(failed[0]).toContain('API permissions → Add a permission → Microsoft Graph → Application permissions');
    expect(checked.stdout).toContain('Some checks failed');

    const asSource = await cli([
      'endpoint',
      'check',
      '--endpoint',
      'Contoso without import',
      '--test-mailbox',
      MAILBOX,
      '--side',
      'source',
      '--json',
    ]);
    expect(asSource.code).toBe(0);
    const { ok, checks } = JSON.parse(asSource.stdout);
    expect(ok).toBe(true);
    expect(checks.find((c: { check: string }) => c.check === P.import)).toMatchObject({ status: 'warning' });
  });

  it('endpoint check refuses a side it does not know, naming the two it takes', async () => {
    const bad = await cli(['endpoint', 'check', 'Contoso', '--side', 'both']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--side takes source or destination');
  });
});
