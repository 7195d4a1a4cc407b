/**
 * `mailferry endpoint sign-in` as an administrator runs it: a CLI process (tsx, the real
 * msal-node device code flow) against the Graph test server's Entra stand-in, found through the
 * documented MAILFERRY_ENTRA_AUTHORITY_HOST setting and trusted through NODE_EXTRA_CA_CERTS. The
 * test plays the admin at the verification page (approves or declines the code the CLI printed);
 * the CLI says who signed in and exits 0, or why not and exits non-zero; the sign-in is in the vault.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRuntime, LOCAL_TENANT as T } from '../../api/local/embedded-runtime.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { silentLog } from '../support/migration-fixture.js';
import { waitUntil } from '../support/wait-until.js';

const ADMIN = 'groups-admin@contoso.com';
const TEAM = 'team@contoso.com';
const APP = '5a1b2c3d-1111-4222-8333-944455558888';

describe('mailferry endpoint sign-in', () => {
  let graph: GraphTestServer;
  let dataDir: string;
  let env: Record<string, string>;

  const cli = (args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args, '--data', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, ...env, ...extra },
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  /** Starts the sign-in in a CLI process, then does at the verification page what `atPage` does with the code it printed. */
  const signIn = async (atPage: (userCode: string) => void) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', 'endpoint', 'sign-in', 'Team group', '--data', dataDir], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const userCode = await waitUntil(
      'the CLI to print the code Entra ID gave it',
      () => graph.tokenEndpoint.pendingDeviceCodes().find((code) => stdout.includes(code)),
      {
        describe: () => `stdout: ${stdout} stderr: ${stderr}`,
      },
    );
    atPage(userCode);
    return { code: await exited, stdout, stderr, userCode };
  };

  /** The endpoint as stored, with the sign-in's cache read from the vault. */
  const endpointRecord = async () => {
    const runtime = await EmbeddedRuntime.open({ dataDir, log: silentLog });
    try {
      const [endpoint] = (await runtime.store.endpoints.list(T)).items;
      return { ...endpoint!, tokenCache: endpoint!.signInRef ? await runtime.engine.vault.get(T, endpoint!.signInRef) : undefined };
    } finally {
      await runtime.close();
    }
  };

  beforeAll(async () => {
    graph = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ADMIN], groups: [TEAM], apps: [{ clientId: APP }] });
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-cli-sign-in-'));
    env = { MAILFERRY_ENTRA_AUTHORITY_HOST: `https://${graph.tokenEndpoint.host}`, NODE_EXTRA_CA_CERTS: graph.tokenEndpoint.caFile };
    const added = cli([
      'endpoint',
      'add',
      '--name',
      'Team group',
      '--kind',
      'm365-group',
      '--protocol',
      'graph',
      '--host',
      graph.graphUrl,
      '--app-client-id',
      APP,
      '--app-tenant-id',
      graph.tenantId,
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await graph?.close();
  });

  it('a declined code: the CLI says so and exits non-zero, and nothing is stored', async () => {
    const declined = await signIn((code) => graph.tokenEndpoint.declineDeviceCode(code));
    expect(declined.code).not.toBe(0);
    expect(declined.stderr).toContain('Not signed in: The sign-in was declined at the verification page. Start it again and accept.');
    expect((await endpointRecord()).signInRef).toBeUndefined();
  }, 120_000);

  it("shows Entra ID's code and page, waits for the admin, says who signed in and keeps the sign-in in the vault", async () => {
    const signed = await signIn((code) => graph.tokenEndpoint.approveDeviceCode(code, ADMIN));
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(`enter the code ${signed.userCode}`);
    expect(signed.stdout).toContain('https://microsoft.com/devicelogin');
    expect(signed.stdout).toContain(`Signed in as ${ADMIN}. Endpoint "Team group" now posts to Microsoft 365 Groups as ${ADMIN}`);

    const stored = await endpointRecord();
    expect(stored).toMatchObject({ signedInAs: ADMIN });
    expect(JSON.parse(stored.tokenCache!)).toHaveProperty('RefreshToken');
  }, 120_000);

  it('a MAILFERRY_ENTRA_AUTHORITY_HOST that is not an https origin is refused, naming the setting', () => {
    const r = cli(['endpoint', 'list'], { MAILFERRY_ENTRA_AUTHORITY_HOST: 'http://127.0.0.1:1/contoso' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('MAILFERRY_ENTRA_AUTHORITY_HOST="http://127.0.0.1:1/contoso" must be an https origin without a path');
  });
});
