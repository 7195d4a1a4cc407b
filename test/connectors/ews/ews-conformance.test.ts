/** The MailboxSession contract against the EWS connector and the schema-checked EWS test server. */
import { afterAll, beforeAll, expect } from 'vitest';
import { EwsConnector } from '../../../api/connectors/ews/index.js';
import type { Endpoint } from '../../../api/core/model.js';
import { connectorConformance } from '../../conformance/connector-conformance.js';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { blankItem, ewsDateTime, insertItem } from '../../support/ews/items.js';
import { instantClock } from '../../support/test-clock.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };

let server: EwsTestServer;
beforeAll(async () => {
  server = await startEwsServer({ users: [ALICE], admin: ADMIN });
});
afterAll(async () => {
  expect(server.validation.requestFailures).toEqual([]);
  await server?.close();
});

const endpoint = (): Endpoint => ({
  tenantId: 'local',
  id: 'ews',
  version: 1,
  name: 'EWS test',
  kind: 'exchange',
  host: server.url,
  adminMode: 'delegation',
  adminLogin: ADMIN.smtp,
  createdAt: new Date(0).toISOString(),
});

connectorConformance('EWS (EWS test server)', () => ({
  open: () => new EwsConnector({ clock: instantClock }).open({ endpoint: endpoint(), adminPassword: ADMIN.password, mailbox: ALICE.smtp }),
  bytesExact: true,
  parent: [],
  seedUnmarked: async (path, bytes, internalDate) => {
    const mailbox = server.store.mailbox(ALICE.smtp)!;
    const name = path.split('/').at(-1);
    const folder = [...mailbox.folders.values()].find((f) => f.displayName === name)!;
    const item = blankItem('IPM.Note', ewsDateTime(internalDate));
    item.mime = { bytes };
    insertItem(server.store, mailbox, folder, item);
  },
}));
