/**
 * The Graph test server's rules, through an independent client: Authorization required, token
 * audience, permissions from `roles` (403 naming the missing one), Groups mailboxes refused by
 * import/export and threads taking a delegated token only, the import URL's own token and its
 * expiry, EWS export streams accepted or not, and the CSDL check of request bodies.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportItem, seedMessage } from '../support/ews/items.js';
import { MailboxStore } from '../support/ews/mailbox-store.js';
import { PERMISSION, startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { appToken, graphClient, mime, type TestGraphClient } from './graph-client.js';

const ALICE = 'alice@contoso.com';
const TEAM = 'team@contoso.com';
const FULL = { clientId: '11111111-aaaa-4bbb-8ccc-000000000001', secret: 'full-secret' };
const READER = {
  clientId: '11111111-aaaa-4bbb-8ccc-000000000002',
  secret: 'reader-secret',
  permissions: [PERMISSION.userRead, PERMISSION.folderRead, PERMISSION.itemRead],
};
const SESSION_MS = 15 * 60_000;

interface ErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

describe('Graph test server rules', () => {
  let server: GraphTestServer;
  let full: TestGraphClient;
  let reader: TestGraphClient;
  let mbx: string;
  beforeAll(async () => {
    server = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE],
      groups: [TEAM],
      apps: [FULL, READER],
      importSessionLifetimeMs: SESSION_MS,
    });
    full = graphClient(server, await appToken(server, FULL.clientId, FULL.secret));
    reader = graphClient(server, await appToken(server, READER.clientId, READER.secret));
    mbx = await full.mailboxId(ALICE);
  });
  afterAll(async () => {
    await server?.close();
  });
  const mbxPath = `/v1.0/admin/exchange/mailboxes/`;

  it('requires a Graph token: none, a malformed one and one for Exchange Online all get 401 InvalidAuthenticationToken', async () => {
    const none = await graphClient(server, '').call<ErrorBody>(`/v1.0/users/${ALICE}/settings/exchange`);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      innerError: { 'request-id': expect.any(String), date: expect.any(String) },
    });
    expect((await graphClient(server, 'abc.def.ghi').call(`/v1.0/users/${ALICE}/settings/exchange`)).status).toBe(401);
    const exo = await server.mintToken({ appId: FULL.clientId, roles: [PERMISSION.userRead], aud: 'https://outlook.office365.com' });
    const wrongAudience = await graphClient(server, exo).call<ErrorBody>(`/v1.0/users/${ALICE}/settings/exchange`);
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body.error.message).toMatch(/audience/);
  });

  it('an app without a permission gets 403 ErrorAccessDenied naming the permission to grant', async () => {
    const id = server.seed.message(ALICE, 'inbox', mime('secret'));
    expect((await reader.call(`${mbxPath}${mbx}/folders`)).status).toBe(200);
    const cases: [string, { method?: string; body?: unknown; headers?: Record<string, string> }, string][] = [
      [`${mbxPath}${mbx}/exportItems`, { body: { ItemIds: [id] } }, PERMISSION.itemExport],
      [`${mbxPath}${mbx}/createImportSession`, { method: 'POST' }, PERMISSION.itemImportExport],
      [`${mbxPath}${mbx}/folders`, { body: { displayName: 'Nope' } }, PERMISSION.folderReadWrite],
      [
        `/beta/users/${ALICE}/mailFolders/inbox/importMime`,
        { body: mime('x').toString('base64'), headers: { 'Content-Type': 'text/plain' } },
        PERMISSION.mimeImport,
      ],
    ];
    for (const [path, init, permission] of cases) {
      const r = await reader.call<ErrorBody>(path, init);
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('ErrorAccessDenied');
      expect(r.body.error.message).toContain(permission);
      expect(r.body.error.message).toMatch(/admin consent/);
    }
    const noItems = graphClient(server, await server.mintToken({ appId: 'x', roles: [PERMISSION.folderRead] }));
    const items = await noItems.call<ErrorBody>(`${mbxPath}${mbx}/folders/inbox/items`);
    expect(items.status).toBe(403);
    expect(items.body.error.message).toContain(PERMISSION.itemRead);
  });

  it('an app fenced with RBAC for Applications reaches only the mailboxes in its scope', async () => {
    const fenced = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE, 'bob@contoso.com'],
      apps: [{ ...FULL, mailboxes: ['bob@contoso.com'] }],
    });
    try {
      const client = graphClient(fenced, await appToken(fenced, FULL.clientId, FULL.secret));
      expect((await client.call(`/v1.0/users/bob@contoso.com/settings/exchange`)).status).toBe(200);
      const refused = await client.call<ErrorBody>(`${mbxPath}${fenced.mailboxId(ALICE)}/folders`);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/alice@contoso\.com is outside its management scope/);
      // The id lookup is a directory read, outside Exchange's fence; the mailbox itself is not reachable.
      expect((await client.call(`/v1.0/users/${ALICE}/settings/exchange`)).status).toBe(200);
      expect(
        (
          await client.call(`/beta/users/${ALICE}/mailFolders/inbox/importMime`, {
            body: mime('x').toString('base64'),
            headers: { 'Content-Type': 'text/plain' },
          })
        ).status,
      ).toBe(403);
    } finally {
      await fenced.close();
    }
  });

  it('refuses Groups mailboxes for import/export; threads take a delegated Group.ReadWrite.All token only', async () => {
    const lookup = await full.call<ErrorBody>(`/v1.0/users/${TEAM}/settings/exchange`);
    expect(lookup.status).toBe(404);
    const direct = await full.call<ErrorBody>(`${mbxPath}${server.mailboxId(TEAM)}/folders`);
    expect(direct.status).toBe(400);
    expect(direct.body.error.message).toMatch(/Groups mailboxes are not supported/);

    const groups = await full.call<{ value: { id: string; mail: string }[] }>(`/v1.0/groups?$filter=mail eq '${TEAM}'`);
    expect(groups.body.value).toEqual([expect.objectContaining({ mail: TEAM, id: server.objectId(TEAM) })]);
    const thread = {
      topic: 'Migrated: Budget',
      posts: [{ body: { contentType: 'html', content: '<p>From: carol@example.org, 2026-06-01</p><p>Hello.</p>' } }],
    };
    const appOnly = await full.call<ErrorBody>(`/v1.0/groups/${server.objectId(TEAM)}/threads`, { body: thread });
    expect(appOnly.status).toBe(403);
    expect(appOnly.body.error.message).toMatch(/delegated permissions only \(Group\.ReadWrite\.All\)/);

    const delegated = graphClient(server, await server.mintToken({ appId: FULL.clientId, scp: 'Group.ReadWrite.All', upn: ALICE }));
    const posted = await delegated.call(`/v1.0/groups/${server.objectId(TEAM)}/threads`, { body: thread });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ topic: 'Migrated: Budget', uniqueSenders: [ALICE] });
    expect(server.read.items(TEAM, 'inbox')).toEqual([
      expect.objectContaining({ subject: 'Migrated: Budget', origin: 'groupThread', type: 'IPM.Post' }),
    ]);
    const unknownProp = await delegated.call<ErrorBody>(`/v1.0/groups/${server.objectId(TEAM)}/threads`, {
      body: { ...thread, from: 'carol' },
    });
    expect(unknownProp.status).toBe(400);
  });

  it('rejects an unknown property with 400 RequestBodyRead naming it and the type, as Graph does', async () => {
    const r = await full.call<ErrorBody>(`${mbxPath}${mbx}/folders`, { body: { displayName: 'Typo', displayname2: 'x' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      code: 'RequestBodyRead',
      message: "The property 'displayname2' does not exist on type 'microsoft.graph.mailboxFolder'.",
    });
    const wrongType = await full.call<ErrorBody>(`${mbxPath}${mbx}/folders`, { body: { displayName: 42 } });
    expect(wrongType.status).toBe(400);
    const wrongParam = await full.call<ErrorBody>(`${mbxPath}${mbx}/exportItems`, { body: { Ids: ['x'] } });
    expect(wrongParam.status).toBe(400);
    expect(server.validation.requestFailures.length).toBeGreaterThanOrEqual(3);
    expect(server.read.folder(ALICE, 'Typo')).toBeUndefined();
  });

  describe('import sessions', () => {
    afterEach(() => {
      server.acceptEwsExport = false;
    });

    it('the importUrl takes its own authtoken only, until it expires; a new session works again', async () => {
      const session = await full.call<{ importUrl: string; expirationDateTime: string }>(`${mbxPath}${mbx}/createImportSession`, {
        method: 'POST',
      });
      expect(Date.parse(session.body.expirationDateTime) - Date.now()).toBeGreaterThan(SESSION_MS - 60_000);
      const data = server.read.items(ALICE, 'inbox')[0]!.data.toString('base64');
      const inbox = server.read.folder(ALICE, 'inbox')!.id;
      const body = JSON.stringify({ FolderId: inbox, Mode: 'create', Data: data });
      const post = (url: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const forged = session.body.importUrl.replace(/authtoken=[^&]+/, 'authtoken=forged');
      expect((await post(forged)).status).toBe(401);
      expect((await post(session.body.importUrl.replace(/authtoken=[^&]+/, ''))).status).toBe(401);
      expect((await post(session.body.importUrl)).status).toBe(200);

      server.clock.advance(SESSION_MS + 1);
      const expired = await post(session.body.importUrl);
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as ErrorBody).error.message).toMatch(/expired.*createImportSession/);
      const fresh = await full.call<{ importUrl: string }>(`${mbxPath}${mbx}/createImportSession`, { method: 'POST' });
      expect((await post(fresh.body.importUrl)).status).toBe(200);
    });

    it('an EWS test server ExportItems stream is refused unless acceptEwsExport is on', async () => {
      const ews = new MailboxStore();
      ews.addPrincipal({ smtp: 'old@contoso.test', password: 'pw', fullAccess: false, impersonation: false });
      const item = seedMessage(ews, 'old@contoso.test', 'inbox', mime('from Exchange 2016'), { isRead: true, flag: 'Flagged' });
      const ewsData = exportItem(ews.mailbox('old@contoso.test')!, item);
      const session = await full.call<{ importUrl: string }>(`${mbxPath}${mbx}/createImportSession`, { method: 'POST' });
      const inbox = server.read.folder(ALICE, 'inbox')!.id;
      const post = () =>
        fetch(session.body.importUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ FolderId: inbox, Mode: 'create', Data: ewsData }),
        });
      const refused = await post();
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as ErrorBody).error).toMatchObject({
        code: 'ErrorCorruptData',
        message: expect.stringMatching(/Exchange Web Services export/),
      });
      server.acceptEwsExport = true;
      const accepted = await post();
      expect(accepted.status).toBe(200);
      const stored = server.read.item(ALICE, ((await accepted.json()) as { itemId: string }).itemId)!;
      expect(stored).toMatchObject({ origin: 'ews-export', isRead: true, flagged: true, subject: 'from Exchange 2016' });
      expect(stored.mime!.equals(mime('from Exchange 2016'))).toBe(true);
    });
  });
});
