/**
 * The EWS connector against older Exchange releases: the test server reports an older
 * ServerVersionInfo and refuses newer RequestServerVersion values, as those releases do.
 * Before Exchange 2010 SP1 there is no ExportItems/UploadItems, so mail moves as MIME and
 * other item types become error rows that say why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRef, SourceMessage } from '../../../api/core/connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { EwsConnector } from '../../../api/connectors/ews/index.js';
import type { EwsSession } from '../../../api/connectors/ews/ews-session.js';
import { startEwsServer, type EmulatedRelease, type EwsTestServer } from '../../support/ews/ews-server.js';
import { instantClock } from '../../support/test-clock.js';
import { seedItem, seedMessage } from '../../support/ews/items.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
const MIME =
  'From: Ann <ann@fabrikam.test>\r\nTo: alice@contoso.test\r\nSubject: Old server\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHello\r\n';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each<[EmulatedRelease, string, boolean]>([
  ['Exchange2007_SP1', 'Exchange2007_SP1', false],
  ['Exchange2010', 'Exchange2010', false],
  ['Exchange2010_SP1', 'Exchange2010_SP1', true],
  ['Exchange2013', 'Exchange2013', true],
])('EWS connector against %s', (release, requestVersion, exports) => {
  let server: EwsTestServer;
  const sessions: EwsSession[] = [];
  const connector = new EwsConnector({ clock: instantClock });
  const endpoint: () => Endpoint = () => ({
    tenantId: 'local',
    id: 'ews',
    version: 1,
    name: 'Old Exchange',
    kind: 'exchange',
    host: server.url,
    adminMode: 'delegation',
    adminLogin: ADMIN.smtp,
    createdAt: new Date(0).toISOString(),
  });
  const open = async (mailbox: string) => {
    const s = await connector.open({ endpoint: endpoint(), adminPassword: ADMIN.password, mailbox });
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE, BOB], admin: ADMIN, serverVersion: release });
    seedMessage(server.store, ALICE.smtp, 'inbox', MIME, { isRead: true, received: Date.UTC(2024, 0, 1, 10) });
    seedItem(server.store, ALICE.smtp, 'contacts', '<t:Contact><t:Subject>Ann</t:Subject><t:GivenName>Ann</t:GivenName></t:Contact>');
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    expect(server.validation.requestFailures).toEqual([]);
    await expect(server.close()).resolves.toBeUndefined();
  });

  it(`asks for ${requestVersion} at most, and offers ${exports ? 'ews-export and rfc822' : 'rfc822 only'}`, async () => {
    const s = await open(ALICE.smtp);
    expect(s.ctx.transport.envelope.version).toBe(requestVersion);
    expect(s.accepts).toEqual(exports ? ['ews-export', 'rfc822'] : ['rfc822']);
  });

  it('copies mail to another mailbox with its MIME bytes and read state', async () => {
    const src = await open(ALICE.smtp);
    const dst = await open(BOB.smtp);
    const inbox = (await src.listFolders()).find((f) => f.path === 'Inbox')!;
    const refs = await src.listMessages(inbox);
    expect(refs).toHaveLength(1);
    expect(refs[0]!.flags).toContain('\\Seen');
    const reads = await collect(src.readMessages(inbox, refs, { formats: dst.accepts! }));
    expect(reads.every((r) => !('error' in r))).toBe(true);
    const target = await dst.ensureFolder(['From old server'], 'mail');
    const written = await collect(
      dst.appendMessages(
        target.path,
        (async function* () {
          yield* reads as SourceMessage[];
        })(),
      ),
    );
    expect(written.map((w) => w.error?.message)).toEqual([undefined]);
    const copied = await dst.listRange(target.path, 0);
    expect(copied.map((c) => c.sourceKey)).toEqual(refs.map((r: MessageRef) => r.key));
    if (!exports) expect((reads[0] as SourceMessage).format ?? 'rfc822').toBe('rfc822');
  });

  it(
    exports ? 'exports a contact for an EWS destination' : 'turns a contact into an error row that names the release it needs',
    async () => {
      const src = await open(ALICE.smtp);
      const dst = await open(BOB.smtp);
      const contacts = (await src.listFolders()).find((f) => f.itemType === 'contacts')!;
      const refs = await src.listMessages(contacts);
      const [read] = await collect(src.readMessages(contacts, refs, { formats: dst.accepts! }));
      if (exports) {
        expect('error' in read!).toBe(false);
        expect((read as SourceMessage).format).toBe('ews-export');
      } else {
        expect('error' in read! && read.error.message).toMatch(
          /holds only mail; contacts items cannot be copied \(an Exchange destination older than 2010 SP1/,
        );
      }
    },
  );
});

describe('the EWS test server as an older release', () => {
  it('refuses a RequestServerVersion newer than itself, as Exchange does', async () => {
    const server = await startEwsServer({ users: [ALICE], serverVersion: 'Exchange2010' });
    try {
      const body = (version: string) =>
        `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">` +
        `<s:Header><t:RequestServerVersion Version="${version}"/></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>` +
        `<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>`;
      const post = (version: string) =>
        fetch(server.url, {
          method: 'POST',
          body: body(version),
          headers: {
            'Content-Type': 'text/xml; charset=utf-8',
            Authorization: `Basic ${Buffer.from(`${ALICE.smtp}:${ALICE.password}`).toString('base64')}`,
          },
        });
      const newer = await post('Exchange2013');
      expect(newer.status).toBe(500);
      expect(await newer.text()).toContain('ErrorInvalidServerVersion');
      const same = await post('Exchange2010');
      expect(same.status).toBe(200);
      expect(await same.text()).toMatch(/MajorVersion="14" MinorVersion="0"/);
    } finally {
      await server.close();
    }
  });
});
