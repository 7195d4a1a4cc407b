/**
 * Exchange Online over Graph as the source of a destination that takes no Graph export stream:
 * mail goes as MIME, and every other item is an error row that names the destination it is
 * (IMAP, or Exchange over EWS, which has export streams of its own but not Exchange Online's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphConnector } from '../../../api/connectors/graph/index.js';
import type { ContentFormat, MailboxSession } from '../../../api/core/connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { sampleMessage } from '../../support/dovecot.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../../support/graph/index.js';
import { instantClock } from '../../support/test-clock.js';

const ALICE = 'alice@contoso.com';
const APP = { clientId: '11111111-2222-4333-8444-555555555555', secret: 'full-secret' };

let server: GraphTestServer;
let session: MailboxSession;
beforeAll(async () => {
  server = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE], apps: [APP] });
  server.seed.message(ALICE, 'inbox', sampleMessage(1));
  server.seed.item(ALICE, 'calendar', { type: 'IPM.Appointment', subject: 'Weekly' });
  const endpoint: Endpoint = {
    tenantId: 'local',
    id: 'graph',
    version: 1,
    name: 'Exchange Online',
    kind: 'm365',
    protocol: 'graph',
    host: server.graphUrl,
    adminMode: 'impersonation',
    authMechanism: 'oauth-app',
    appClientId: APP.clientId,
    appTenantId: server.tenantId,
    createdAt: '',
  };
  session = await new GraphConnector({
    clock: instantClock,
    modernAuth: { authorityHost: `https://${server.tokenEndpoint.host}`, networkClient: trustingNetworkClient(server.tokenEndpoint.caPem) },
  }).open({ endpoint, mailbox: ALICE, modernAuth: { clientId: APP.clientId, tenantId: server.tenantId, clientSecret: APP.secret } });
}, 60_000);
afterAll(async () => {
  await session?.close();
  await server?.close();
});

async function readAll(folderName: string, formats: ContentFormat[]) {
  const folder = (await session.listFolders()).find((f) => f.path === folderName)!;
  const refs = await session.listMessages(folder);
  const out: { format?: string; error?: string }[] = [];
  for await (const read of session.readMessages(folder, refs, { formats })) {
    out.push('error' in read ? { error: read.error.message } : { format: read.format ?? 'rfc822' });
  }
  return out;
}

describe('Exchange Online over Graph → a destination without Graph export streams', () => {
  it('says an IMAP destination holds only mail', async () => {
    expect(await readAll('Inbox', ['rfc822'])).toEqual([{ format: 'rfc822' }]);
    expect(await readAll('Calendar', ['rfc822'])).toEqual([
      { error: expect.stringMatching(/^An IMAP destination holds only mail \(an Exchange destination older than 2010 SP1/) },
    ]);
  });

  it('names an Exchange destination over EWS as what it is, not as IMAP', async () => {
    expect(await readAll('Inbox', ['ews-export', 'rfc822'])).toEqual([{ format: 'rfc822' }]);
    const [calendar] = await readAll('Calendar', ['ews-export', 'rfc822']);
    expect(calendar?.error).toMatch(/^An Exchange destination over EWS takes from Exchange Online over Graph only mail, as MIME/);
    expect(calendar?.error).toMatch(/calendar items cannot be copied there/);
    expect(calendar?.error).not.toMatch(/IMAP/);
  });
});
