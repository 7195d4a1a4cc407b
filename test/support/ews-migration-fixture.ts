/**
 * One migration set up for EWS integration tests, like migration-fixture.ts but generalised: the
 * source and the destination are each either an EWS test server (schema-checked, in this
 * process) or a real Dovecot. The real EmbeddedRuntime runs in a temp dir with the real EWS
 * connector for `exchange`, `m365` and `m365-group`; endpoints are created through
 * services.projects.createEndpoint after the same zod validation the HTTP API applies.
 *
 * Domains: the source side is `src.test`, the destination `dst.test`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EwsConnector, type EwsConnectorOptions } from '../../api/connectors/ews/index.js';
import type { MailConnector } from '../../api/core/connector.js';
import type { EndpointKind, Pass, PassKind } from '../../api/core/model.js';
import { endpointInput, parseInput, passInput } from '../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startDovecot, type DovecotOptions, type DovecotServer } from './dovecot.js';
import { trustingNetworkClient } from './ews/auth.js';
import { startEwsServer, type EwsServerOptions, type EwsTestServer } from './ews/ews-server.js';
import { itemStorage, itemsIn, mailboxOf, seedMessage, type StoredItem } from './ews/items.js';
import { sampleMessage } from './dovecot.js';
import type { StoredFolder } from './ews/mailbox-store.js';
import { EwsSchemaValidator } from './ews/schema-validator.js';
import { silentLog, waitForPass } from './migration-fixture.js';

export const SOURCE_DOMAIN = 'src.test';
export const DEST_DOMAIN = 'dst.test';
export const USER_PASSWORD = 'pw';
export const ADMIN_PASSWORD = 'admin-secret';
/** A Modern Auth app the token endpoint knows (full_access_as_app). */
export const TEST_APP = { clientId: '6a3e0c55-1111-4222-8333-944444444444', clientSecret: 'app-secret-value' };

/** The endpoint fields a test may choose for an EWS side (the rest come from the server). */
export interface EwsEndpointChoice {
  kind?: Extract<EndpointKind, 'exchange' | 'm365' | 'm365-group'>;
  adminMode?: 'delegation' | 'impersonation' | 'none';
  /** `oauth-app`: Modern Auth client credentials through the server's local token endpoint. */
  authMechanism?: 'password' | 'oauth-app';
  /** Log in as this account instead of the server's admin (e.g. one without the impersonation right). */
  adminLogin?: { smtp: string; password: string };
}

export type SideOptions =
  | {
      ews: Partial<Omit<EwsServerOptions, 'validator' | 'users' | 'admin'>> & { users?: EwsServerOptions['users'] };
      endpoint?: EwsEndpointChoice;
    }
  | { dovecot: DovecotOptions };

export interface FixtureSide {
  type: 'ews' | 'dovecot';
  ews?: EwsTestServer;
  dovecot?: DovecotServer;
  domain: string;
  endpointId: string;
  /** Makes the mailbox exist on this side (password USER_PASSWORD). */
  addUser(address: string): Promise<void>;
}

export interface EwsMigrationFixture {
  source: FixtureSide;
  destination: FixtureSide;
  runtime: EmbeddedRuntime;
  dataDir: string;
  projectId: string;
  /** Creates `name@src.test` at the source and `name@dst.test` at the destination (or the given addresses), and the item. */
  addMailbox(
    name: string,
    addresses?: { source?: string; destination?: string; options?: string[] },
  ): Promise<{ itemId: string; sourceUser: string; destUser: string }>;
  runPass(kind: PassKind, itemIds: string[], extra?: Record<string, unknown>): Promise<Pass>;
  /** Creates an endpoint through the API's validation (throws its ValidationError), for tests of endpoint rules. */
  createEndpoint(input: Record<string, unknown>): Promise<{ id: string }>;
  /** Re-opens the runtime (same data dir) with other EWS connector options. */
  reopen(connectorOptions?: EwsConnectorOptions): Promise<void>;
  close(): Promise<void>;
}

export interface EwsFixtureOptions {
  source: SideOptions;
  destination: SideOptions;
  projectOptions?: string[];
  /** Options for the EWS connector the runtime uses (e.g. `sleep`); Modern Auth is wired to the token endpoint when a side has one. */
  connector?: EwsConnectorOptions;
  /** Runtime concurrency (default 2). */
  concurrency?: number;
}

const ADMIN_OF = (domain: string) => ({ smtp: `migration-admin@${domain}`, password: ADMIN_PASSWORD });

export async function createEwsMigrationFixture(options: EwsFixtureOptions): Promise<EwsMigrationFixture> {
  const validator = new EwsSchemaValidator();
  const [source, destination] = await Promise.all([
    startSide(options.source, SOURCE_DOMAIN, validator),
    startSide(options.destination, DEST_DOMAIN, validator),
  ]);
  const tokenEndpoint = source.server.ews?.tokenEndpoint ?? destination.server.ews?.tokenEndpoint;
  const connectorFor = (extra: EwsConnectorOptions = {}): Partial<Record<EndpointKind, MailConnector>> => {
    const ews = new EwsConnector({
      ...(tokenEndpoint
        ? { modernAuth: { authorityHost: `https://${tokenEndpoint.host}`, networkClient: trustingNetworkClient(tokenEndpoint.caPem) } }
        : {}),
      ...options.connector,
      ...extra,
    });
    return { exchange: ews, m365: ews, 'm365-group': ews };
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-ews-data-'));
  const open = (connectors: Partial<Record<EndpointKind, MailConnector>>) =>
    EmbeddedRuntime.open({
      dataDir,
      concurrency: options.concurrency ?? 2,
      lockMs: 5_000,
      pollMs: 50,
      connectors,
      log: silentLog,
      retry: { maxInlineWaitMs: 5_000, maxReconnects: 5, reconnectBaseMs: 200 },
    });
  let runtime = await open(connectorFor());

  const createEndpoint = async (input: Record<string, unknown>) =>
    runtime.services.projects.createEndpoint(LOCAL_TENANT, parseInput(endpointInput, input));
  const src = await createEndpoint(source.endpointInput('Source'));
  const dst = await createEndpoint(destination.endpointInput('Destination'));
  const project = await runtime.services.projects.createProject(LOCAL_TENANT, {
    name: 'EWS integration',
    sourceEndpointId: src.id,
    destinationEndpointId: dst.id,
    options: options.projectOptions ?? [],
    maxConcurrentMigrations: 5,
  });

  const fixture: EwsMigrationFixture = {
    source: { ...source.side, endpointId: src.id },
    destination: { ...destination.side, endpointId: dst.id },
    runtime,
    dataDir,
    projectId: project.id,
    async addMailbox(name, addresses = {}) {
      const sourceUser = addresses.source ?? `${name}@${SOURCE_DOMAIN}`;
      const destUser = addresses.destination ?? `${name}@${DEST_DOMAIN}`;
      await Promise.all([source.side.addUser(sourceUser), destination.side.addUser(destUser)]);
      const item = await fixture.runtime.services.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: sourceUser,
        destinationAddress: destUser,
        endUserCredentials: false,
        options: addresses.options ?? [],
      });
      return { itemId: item.id, sourceUser, destUser };
    },
    async runPass(kind, itemIds, extra = {}) {
      const rt = fixture.runtime;
      const { pass } = await rt.services.passes.startPass(LOCAL_TENANT, project.id, parseInput(passInput, { kind, itemIds, ...extra }));
      rt.startWorkers();
      return waitForPass(rt, pass.id, 120_000);
    },
    createEndpoint,
    async reopen(connectorOptions) {
      await fixture.runtime.close();
      runtime = fixture.runtime = await open(connectorFor(connectorOptions));
    },
    async close() {
      await fixture.runtime.close();
      const results = await Promise.allSettled([source.stop(), destination.stop()]);
      validator.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return fixture;
}

interface StartedSide {
  server: { ews?: EwsTestServer; dovecot?: DovecotServer };
  side: Omit<FixtureSide, 'endpointId'>;
  endpointInput(name: string): Record<string, unknown>;
  stop(): Promise<void>;
}

async function startSide(options: SideOptions, domain: string, validator: EwsSchemaValidator): Promise<StartedSide> {
  if ('dovecot' in options) {
    const server = await startDovecot({ separator: '/', users: {}, ...options.dovecot });
    return {
      server: { dovecot: server },
      side: {
        type: 'dovecot',
        dovecot: server,
        domain,
        async addUser(address) {
          if (server.users[address] === undefined) await server.addUser(address, USER_PASSWORD); // waits for Dovecot to re-read it
        },
      },
      endpointInput: (name) => ({
        name: `${name} Dovecot`,
        kind: 'imap',
        host: server.host,
        port: server.port,
        security: 'none',
        allowSelfSigned: false,
        adminMode: 'plain-authzid',
        adminLogin: server.masterUser,
        adminPassword: server.masterPassword,
        authMechanism: 'password',
        domains: [],
      }),
      stop: () => server.stop(),
    };
  }
  const admin = ADMIN_OF(domain);
  const oauth = options.endpoint?.authMechanism === 'oauth-app' ? { apps: [TEST_APP], ...options.ews.oauth } : options.ews.oauth;
  const server = await startEwsServer({ ...options.ews, users: options.ews.users ?? [], admin, validator, ...(oauth ? { oauth } : {}) });
  const choice = options.endpoint ?? {};
  const kind = choice.kind ?? 'exchange';
  const app = choice.authMechanism === 'oauth-app';
  const login = choice.adminLogin ?? admin;
  return {
    server: { ews: server },
    side: {
      type: 'ews',
      ews: server,
      domain,
      async addUser(address) {
        if (!server.store.mailbox(address))
          server.store.addPrincipal({ smtp: address, password: USER_PASSWORD, fullAccess: false, impersonation: false });
      },
    },
    endpointInput: (name) => ({
      name: `${name} ${kind}`,
      kind,
      host: server.url,
      adminMode: choice.adminMode ?? 'delegation',
      domains: [],
      // These tests are about EWS: an Exchange Online endpoint made today would speak Graph.
      ...(kind === 'm365' ? { protocol: 'ews' } : {}),
      ...(app
        ? {
            authMechanism: 'oauth-app',
            cloud: 'commercial',
            appClientId: TEST_APP.clientId,
            appTenantId: server.issuer!.tenantId,
            appClientSecret: TEST_APP.clientSecret,
          }
        : { authMechanism: 'password', adminLogin: login.smtp, adminPassword: login.password }),
    }),
    stop: () => server.close(),
  };
}

// ───────────── reading a mailbox of the EWS test server back, for assertions ─────────────

const MARKER_NAME = 'MailferrySourceKey';

/** The folder at `path` ('/'-joined display names under Top of Information Store). */
export function folderAt(server: EwsTestServer, smtp: string, path: string): StoredFolder | undefined {
  const mbx = server.store.mailbox(smtp);
  if (!mbx) return undefined;
  let parent = mbx.byDistinguished.get('msgfolderroot')!;
  let found: StoredFolder | undefined;
  for (const name of path.split('/')) {
    found = server.store.childrenOf(mbx, parent).find((f) => f.displayName === name);
    if (!found) return undefined;
    parent = found.id;
  }
  return found;
}

/** Every folder path of a mailbox with its item count. */
export function folderCounts(server: EwsTestServer, smtp: string): Record<string, number> {
  const mbx = server.store.mailbox(smtp)!;
  const top = mbx.byDistinguished.get('msgfolderroot')!;
  const out: Record<string, number> = {};
  const walk = (parentId: string, prefix: string) => {
    for (const f of server.store.childrenOf(mbx, parentId)) {
      const path = prefix ? `${prefix}/${f.displayName}` : f.displayName;
      out[path] = itemsIn(mbx, f.id).length;
      walk(f.id, path);
    }
  };
  walk(top, '');
  return out;
}

export function itemsAt(server: EwsTestServer, smtp: string, path: string): StoredItem[] {
  const folder = folderAt(server, smtp, path);
  if (!folder) throw new Error(`no folder ${path} in ${smtp}`);
  return itemsIn(server.store.mailbox(smtp)!, folder.id);
}

/** The MailferrySourceKey marker a destination item carries (the source key), if any. */
export function markerOf(item: StoredItem): string | undefined {
  return item.extended.find((p) => p.uri.name === MARKER_NAME)?.value;
}

/**
 * Everything an item holds that a migration must carry, for a field-by-field comparison: every
 * stored property element, extended properties (the marker left out), MIME bytes, dates, read
 * and flag state, and a calendar master's exceptions and deleted occurrences. Ids, change keys,
 * sizes and modification stamps are the destination's own.
 */
export function comparable(server: EwsTestServer, item: StoredItem): Record<string, unknown> {
  const mbx = mailboxOf(server.store, item);
  const storage = itemStorage(mbx);
  return {
    itemClass: item.itemClass,
    fields: Object.fromEntries([...item.fields].sort(([a], [b]) => a.localeCompare(b))),
    extended: item.extended.filter((p) => p.uri.name !== MARKER_NAME),
    mime: item.mime?.bytes.toString('base64'),
    received: item.received,
    sent: item.sent,
    isRead: item.isRead,
    isDraft: item.isDraft,
    flag: item.flag,
    isAssociated: item.isAssociated,
    originalStart: item.originalStart,
    deletedOccurrences: item.deletedOccurrences,
    exceptions: item.exceptionIds.map((id) => comparable(server, storage.byId.get(id)!)),
  };
}

/** `count` messages seeded straight into a source EWS mailbox folder (distinguished id or path). */
export function seedMail(fx: EwsMigrationFixture, smtp: string, folder: string, count: number, prefix: string): StoredItem[] {
  return Array.from({ length: count }, (_, i) =>
    seedMessage(fx.source.ews!.store, smtp, folder, sampleMessage(i, 1_200, `${prefix} ${i}`), {
      received: Date.UTC(2024, 0, 1, 0, i),
      isRead: i % 2 === 0,
    }),
  );
}

/** Every destination item carries a distinct marker, and the markers are exactly the source keys. */
export function expectExactlyOnce(copies: StoredItem[], sourceKeys: string[]): void {
  const markers = copies.map(markerOf);
  expect(
    markers.filter((m) => m === undefined),
    'unmarked copies',
  ).toHaveLength(0);
  expect(new Set(markers).size, 'distinct markers').toBe(copies.length);
  expect(copies).toHaveLength(sourceKeys.length);
  expect([...markers].sort()).toEqual([...sourceKeys].sort());
}
