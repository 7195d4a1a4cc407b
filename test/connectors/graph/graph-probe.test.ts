/**
 * "Save and Go to Summary" for a Graph endpoint against the Graph test server: the token, then
 * each permission tested on its own, so that an app missing exactly one permission gets exactly
 * one failed line naming that permission and where to grant it; nothing is created by the checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_GRAPH_PERMISSIONS, GRAPH_PERMISSIONS, GraphConnector } from '../../../api/connectors/graph/index.js';
import type { Endpoint } from '../../../api/core/model.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../../support/graph/index.js';

const ALICE = 'alice@contoso.com';
const FULL = { clientId: '11111111-2222-4333-8444-555555555555', secret: 'full-secret' };
/** Fenced with RBAC for Applications to Alice's mailbox. */
const FENCED = { clientId: '11111111-2222-4333-8444-666666666666', secret: 'fenced-secret', mailboxes: [ALICE] };
const P = GRAPH_PERMISSIONS;
/** Apps that lack one permission an admin could plausibly forget, and the one line that must fail. */
const LACKING = [
  { permission: P.mailboxId, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.mailboxId) },
  // Read but not write: fine as a source, not as a destination.
  { permission: P.folderWrite, granted: [...ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.folderWrite), P.folderRead] },
  { permission: P.itemRead, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.itemRead) },
  { permission: P.import, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.import) },
  { permission: P.export, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.export && p !== P.import) },
  { permission: P.mime, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.mime) },
  { permission: P.mailWrite, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.mailWrite) },
  // Listed for rules and calendar permissions: each was on the list without being checked.
  { permission: P.settings, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.settings) },
  { permission: P.calendars, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.calendars) },
  // Neither folder permission (the admin left out both MailboxFolder lines).
  { permission: P.folderRead, granted: ALL_GRAPH_PERMISSIONS.filter((p) => p !== P.folderWrite) },
].map((c, i) => ({
  ...c,
  app: { clientId: `11111111-2222-4333-8444-${String(i + 1).padStart(12, '0')}`, secret: `secret-${i}`, permissions: c.granted },
}));

describe('Graph endpoint checks', () => {
  let server: GraphTestServer;
  let connector: GraphConnector;
  beforeAll(async () => {
    server = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE, 'bob@contoso.com'],
      groups: ['team@contoso.com'],
      apps: [FULL, FENCED, ...LACKING.map((l) => l.app)],
    });
    connector = new GraphConnector({
      modernAuth: {
        authorityHost: `https://${server.tokenEndpoint.host}`,
        networkClient: trustingNetworkClient(server.tokenEndpoint.caPem),
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  const endpoint = (clientId: string): Endpoint => ({
    tenantId: 'local',
    id: 'e',
    version: 1,
    name: 'Exchange Online',
    kind: 'm365',
    protocol: 'graph',
    host: server.graphUrl,
    adminMode: 'impersonation',
    authMechanism: 'oauth-app',
    appClientId: clientId,
    appTenantId: server.tenantId,
    createdAt: '',
  });
  const probe = (app: { clientId: string; secret: string }, testMailbox?: string) =>
    connector.probe({ endpoint: endpoint(app.clientId), appSecret: app.secret, ...(testMailbox ? { testMailbox } : {}) });

  it('passes every check for an app with every permission, and creates nothing', async () => {
    const folders = server.read.folders(ALICE).length;
    const checks = await probe(FULL, ALICE);
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(checks.map((c) => c.check)).toEqual([
      'Microsoft Graph',
      'App token',
      `Mailbox id (${P.mailboxId})`,
      P.folderRead,
      P.itemRead,
      P.export,
      P.import,
      P.folderWrite,
      P.mime,
      P.mailWrite,
      P.settings,
      P.calendars,
    ]);
    expect(server.read.folders(ALICE)).toHaveLength(folders);
  });

  it.each(LACKING)('an app without $permission gets one failed line naming it and where to grant it', async ({ permission, app }) => {
    const checks = await probe(app, ALICE);
    const bad = checks.filter((c) => c.status !== 'ok');
    // An app without export has no import either (import allows export): two lines, each naming its own.
    const expected =
      permission === P.export
        ? [P.export, P.import]
        : permission === P.folderRead
          ? [P.folderRead, P.itemRead, P.folderWrite]
          : [permission === P.mailboxId ? `Mailbox id (${P.mailboxId})` : permission];
    expect(bad.map((c) => c.check)).toEqual(expected);
    // Items are listed per folder: without folders the item permission was not asked, so it is not reported as granted.
    if (permission === P.folderRead) expect(bad[1]).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/^Not checked/) });
    // MIME import and setting read state afterwards matter only for sources other than Exchange Online.
    expect(bad[0]!.status).toBe(([P.mime, P.mailWrite, P.settings, P.calendars] as string[]).includes(permission) ? 'warning' : 'failed');
    expect(bad[0]!.detail).toContain(permission);
    expect(bad[0]!.detail).toContain('API permissions');
    expect(bad[0]!.detail).toContain('Grant admin consent');
  });

  it('says what is wrong with a bad secret, and asks for a test mailbox before checking permissions', async () => {
    const wrong = await probe({ ...FULL, secret: 'not-the-secret' }, ALICE);
    expect(wrong.at(-1)).toMatchObject({ check: 'App token', status: 'failed' });
    expect(wrong.at(-1)!.detail).toMatch(/client secret/);
    const noMailbox = await probe(FULL);
    expect(noMailbox.at(-1)).toMatchObject({ check: 'Permissions', status: 'skipped' });
  });

  it('checked as a source, an app without the import permissions warns about them instead of failing (docs: a source needs none)', async () => {
    const lacking = (permission: string) => LACKING.find((l) => l.permission === permission)!.app;
    for (const permission of [P.import, P.folderWrite]) {
      const app = lacking(permission);
      const asSource = await connector.probe({
        endpoint: endpoint(app.clientId),
        appSecret: app.secret,
        testMailbox: ALICE,
        role: 'source',
      });
      expect(asSource.filter((c) => c.status === 'failed')).toEqual([]);
      expect(asSource.find((c) => c.check === permission)).toMatchObject({
        status: 'warning',
        detail: expect.stringContaining('checked as a source, which does not need it; grant it before using it as a destination'),
      });
      const asDestination = await connector.probe({
        endpoint: endpoint(app.clientId),
        appSecret: app.secret,
        testMailbox: ALICE,
        role: 'destination',
      });
      expect(asDestination.filter((c) => c.status === 'failed').map((c) => c.check)).toEqual([permission]);
    }
  });

  it('an app fenced with RBAC for Applications: a mailbox inside the scope passes, one outside says the scope is why', async () => {
    expect((await probe(FENCED, ALICE)).filter((c) => c.status !== 'ok')).toEqual([]);
    const outside = (await probe(FENCED, 'bob@contoso.com')).filter((c) => c.status === 'failed');
    expect(outside.length).toBeGreaterThan(0);
    expect(outside[0]!.detail).toContain('management scope');
  });

  it("takes the tenant by its domain as Entra ID does (the form's hint offers contoso.onmicrosoft.com)", async () => {
    const checks = await connector.probe({
      endpoint: { ...endpoint(FULL.clientId), appTenantId: 'contoso.onmicrosoft.com' },
      appSecret: FULL.secret,
      testMailbox: ALICE,
    });
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
  });

  it("says in words which tenant Entra ID does not know, not msal's error code", async () => {
    const checks = await connector.probe({
      endpoint: { ...endpoint(FULL.clientId), appTenantId: 'fabrikam.onmicrosoft.com' },
      appSecret: FULL.secret,
      testMailbox: ALICE,
    });
    expect(checks.at(-1)).toMatchObject({ check: 'App token', status: 'failed' });
    expect(checks.at(-1)!.detail).toMatch(/^Entra ID does not know the tenant "fabrikam.onmicrosoft.com"/);
    expect(checks.at(-1)!.detail).toContain('Directory (tenant) ID');
    expect(checks.at(-1)!.detail).not.toMatch(/msal|aka\.ms|endpoints_resolution/);
  });

  it('says a Groups mailbox has no Graph import', async () => {
    const checks = await probe(FULL, 'team@contoso.com');
    expect(checks.at(-1)!.status).toBe('failed');
    expect(checks.at(-1)!.detail).toMatch(/Groups mailbox cannot be reached this way/);
  });
});
