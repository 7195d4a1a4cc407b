/**
 * One migration set up for Graph integration tests: the destination (and, for Exchange Online →
 * Exchange Online, the source) is the Graph test server, one tenant holding both sides' mailboxes
 * (cross-tenant moves use the same API); the other side may be a real Dovecot. The real
 * EmbeddedRuntime runs in a temp dir with the real Graph connector, whose tokens come from the
 * server's Entra-like endpoint through msal-node; endpoints go through the API's validation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphConnector, type GraphConnectorOptions } from '../../api/connectors/graph/index.js';
import type { Pass, PassKind } from '../../api/core/model.js';
import { endpointInput, parseInput, passInput } from '../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startDovecot, type DovecotServer } from './dovecot.js';
import { startEwsServer, type EwsTestServer } from './ews/ews-server.js';
import { EwsSchemaValidator } from './ews/schema-validator.js';
import { startGraphServer, trustingNetworkClient, type GraphServerOptions, type GraphTestServer } from './graph/index.js';
import { silentLog, waitForPass } from './migration-fixture.js';

export const TENANT_DOMAIN = 'contoso.com';
/** The app registration the fixture's endpoints use (its client id must be a GUID for the API). */
export const GRAPH_APP = { clientId: '7d3c2b1a-5555-4666-8777-988899990000', secret: 'graph-app-secret~value' };
export const USER_PASSWORD = 'pw';
const EWS_ADMIN = { smtp: 'migration-admin@src.test', password: 'admin-secret' };

export interface GraphFixtureOptions {
  /** `graph`: Exchange Online → Exchange Online on the same server; `dovecot`: IMAP → Exchange Online; `ews`: Exchange on premises (the EWS test server) → Exchange Online. */
  source: 'graph' | 'dovecot' | 'ews';
  /** `dovecot`: Exchange Online → IMAP (destination `${name}@dst.test`); default the Graph server. */
  destination?: 'graph' | 'dovecot';
  /** Mailbox local parts; each exists as `${name}-src@contoso.com` and `${name}-dst@contoso.com` (or on Dovecot as `${name}@src.test`). */
  mailboxes: string[];
  server?: Partial<Omit<GraphServerOptions, 'tenant' | 'users' | 'apps'>> & { permissions?: string[] };
  connector?: GraphConnectorOptions;
  projectOptions?: string[];
  /** The app signs in with this certificate (registered on the server, given to the endpoints) instead of its secret. */
  certificate?: { certPem: string; pem: string };
  /** The engine's log (default: silent). */
  log?: typeof silentLog;
}

export interface GraphMigrationFixture {
  graph: GraphTestServer;
  dovecot?: DovecotServer;
  ews?: EwsTestServer;
  runtime: EmbeddedRuntime;
  dataDir: string;
  projectId: string;
  sourceEndpointId: string;
  destinationEndpointId: string;
  sourceOf(name: string): string;
  destinationOf(name: string): string;
  /** Adds the item for `name` (source and destination addresses). */
  addItem(name: string, options?: string[]): Promise<string>;
  runPass(kind: PassKind, itemIds: string[], extra?: Record<string, unknown>): Promise<Pass>;
  /** Re-opens the runtime (same data dir) with other connector options. */
  reopen(connector?: GraphConnectorOptions): Promise<void>;
  close(): Promise<void>;
}

export async function createGraphMigrationFixture(options: GraphFixtureOptions): Promise<GraphMigrationFixture> {
  const fromGraph = options.source === 'graph';
  const sourceOf = (name: string) => (fromGraph ? `${name}-src@${TENANT_DOMAIN}` : `${name}@src.test`);
  const toImap = options.destination === 'dovecot';
  const destinationOf = (name: string) => (toImap ? `${name}@dst.test` : `${name}-dst@${TENANT_DOMAIN}`);
  const { permissions, ...serverOptions } = options.server ?? {};
  const graph = await startGraphServer({
    tenant: 'contoso.onmicrosoft.com',
    users: [...(toImap ? [] : options.mailboxes.map(destinationOf)), ...(fromGraph ? options.mailboxes.map(sourceOf) : [])],
    apps: [
      {
        clientId: GRAPH_APP.clientId,
        ...(options.certificate ? { certificatePem: options.certificate.certPem } : { secret: GRAPH_APP.secret }),
        ...(permissions ? { permissions } : {}),
      },
    ],
    ...serverOptions,
  });
  const imapSide = options.source === 'dovecot' ? sourceOf : toImap ? destinationOf : undefined;
  const dovecot = imapSide
    ? await startDovecot({ separator: '/', users: Object.fromEntries(options.mailboxes.map((n) => [imapSide(n), USER_PASSWORD])) })
    : undefined;
  const validator = options.source === 'ews' ? new EwsSchemaValidator() : undefined;
  const ews = validator ? await startEwsServer({ users: [], admin: EWS_ADMIN, validator }) : undefined;
  for (const name of ews ? options.mailboxes : [])
    ews!.store.addPrincipal({ smtp: sourceOf(name), password: USER_PASSWORD, fullAccess: false, impersonation: false });
  const connectorWith = (extra: GraphConnectorOptions = {}) =>
    new GraphConnector({
      modernAuth: { authorityHost: `https://${graph.tokenEndpoint.host}`, networkClient: trustingNetworkClient(graph.tokenEndpoint.caPem) },
      ...options.connector,
      ...extra,
    });
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-graph-data-'));
  const open = (connector: GraphConnector) =>
    EmbeddedRuntime.open({
      dataDir,
      concurrency: 2,
      lockMs: 5_000,
      pollMs: 50,
      connectors: { graph: connector },
      log: options.log ?? silentLog,
      retry: { maxInlineWaitMs: 5_000, maxReconnects: 5, reconnectBaseMs: 200 },
    });
  let runtime = await open(connectorWith());
  const create = (input: Record<string, unknown>) =>
    runtime.services.projects.createEndpoint(LOCAL_TENANT, parseInput(endpointInput, input));
  const graphEndpoint = (name: string) =>
    create({
      name,
      kind: 'm365',
      protocol: 'graph',
      host: graph.graphUrl,
      authMechanism: 'oauth-app',
      appClientId: GRAPH_APP.clientId,
      appTenantId: graph.tenantId,
      ...(options.certificate ? { appCertificate: options.certificate.pem } : { appClientSecret: GRAPH_APP.secret }),
    });
  const imapEndpoint = (name: string) =>
    create({
      name,
      kind: 'imap',
      host: dovecot!.host,
      port: dovecot!.port,
      security: 'none',
      adminMode: 'plain-authzid',
      adminLogin: dovecot!.masterUser,
      adminPassword: dovecot!.masterPassword,
    });
  const src = ews
    ? await create({
        name: 'Exchange 2016',
        kind: 'exchange',
        host: ews.url,
        adminMode: 'delegation',
        adminLogin: EWS_ADMIN.smtp,
        adminPassword: EWS_ADMIN.password,
      })
    : options.source === 'dovecot'
      ? await imapEndpoint('Source Dovecot')
      : await graphEndpoint('Source Exchange Online');
  const dst = toImap ? await imapEndpoint('Destination Dovecot') : await graphEndpoint('Destination Exchange Online');
  const project = await runtime.services.projects.createProject(LOCAL_TENANT, {
    name: 'Graph integration',
    sourceEndpointId: src.id,
    destinationEndpointId: dst.id,
    options: options.projectOptions ?? [],
    maxConcurrentMigrations: 5,
  });
  const fixture: GraphMigrationFixture = {
    graph,
    dovecot,
    ews,
    runtime,
    dataDir,
    projectId: project.id,
    sourceEndpointId: src.id,
    destinationEndpointId: dst.id,
    sourceOf,
    destinationOf,
    async addItem(name, itemOptions = []) {
      const item = await fixture.runtime.services.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: sourceOf(name),
        destinationAddress: destinationOf(name),
        endUserCredentials: false,
        options: itemOptions,
      });
      return item.id;
    },
    async runPass(kind, itemIds, extra = {}) {
      const rt = fixture.runtime;
      const { pass } = await rt.services.passes.startPass(LOCAL_TENANT, project.id, parseInput(passInput, { kind, itemIds, ...extra }));
      rt.startWorkers();
      return waitForPass(rt, pass.id, 120_000);
    },
    async reopen(connector) {
      await fixture.runtime.close();
      runtime = fixture.runtime = await open(connectorWith(connector));
    },
    async close() {
      await fixture.runtime.close();
      const results = await Promise.allSettled([graph.close(), dovecot?.stop(), ews?.close()]);
      validator?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return fixture;
}
