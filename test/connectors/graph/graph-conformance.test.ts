/** The MailboxSession contract against the Graph connector and the Graph test server. */
import { afterAll, beforeAll } from 'vitest';
import { GraphConnector } from '../../../api/connectors/graph/index.js';
import type { Endpoint } from '../../../api/core/model.js';
import { connectorConformance } from '../../conformance/connector-conformance.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../../support/graph/index.js';
import { instantClock } from '../../support/test-clock.js';

const ALICE = 'alice@contoso.com';
const APP = { clientId: '11111111-2222-4333-8444-555555555555', secret: 'full-secret' };

let server: GraphTestServer;
beforeAll(async () => {
  server = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE], apps: [APP] });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const endpoint = (): Endpoint => ({
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
});

connectorConformance('Graph (Graph test server)', () => ({
  open: () =>
    new GraphConnector({
      clock: instantClock,
      modernAuth: {
        authorityHost: `https://${server.tokenEndpoint.host}`,
        networkClient: trustingNetworkClient(server.tokenEndpoint.caPem),
      },
    }).open({
      endpoint: endpoint(),
      mailbox: ALICE,
      modernAuth: { clientId: APP.clientId, tenantId: server.tenantId, clientSecret: APP.secret },
    }),
  bytesExact: false,
  parent: [],
}));
