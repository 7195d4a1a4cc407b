/**
 * One IMAP→IMAP migration set up for integration tests: two real Dovecots (source with '/'
 * separator, destination with '.'), an embedded runtime in a temp dir, admin endpoints using
 * Dovecot master users, and a project. Each test adds its own users so tests stay independent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailConnector } from '../../api/core/connector.js';
import type { Pass, PassKind } from '../../api/core/model.js';
import { parseInput, passInput } from '../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startDovecot, type DovecotOptions, type DovecotServer } from './dovecot.js';
import { waitUntil } from './wait-until.js';

export const SOURCE_DOMAIN = 'src.test';
export const DEST_DOMAIN = 'dst.test';
const PASS_TIMEOUT_MS = 90_000;
const POLL_MS = 100;

export interface MigrationFixture {
  source: DovecotServer;
  destination: DovecotServer;
  runtime: EmbeddedRuntime;
  dataDir: string;
  projectId: string;
  sourceEndpointId: string;
  destinationEndpointId: string;
  /** Creates `name@src.test` on the source and `name@dst.test` on the destination, and the item. */
  addMailbox(name: string): Promise<{ itemId: string; sourceUser: string; destUser: string }>;
  runPass(kind: PassKind, itemIds: string[], extra?: Record<string, unknown>): Promise<Pass>;
  reopen(connectors?: Partial<Record<'imap', MailConnector>>): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Mailbox names created at start on both servers (Dovecot re-reads its passwd-file only when its mtime second changes). */
  mailboxes?: string[];
  source?: DovecotOptions;
  destination?: DovecotOptions;
  connectors?: Partial<Record<'imap', MailConnector>>;
  projectOptions?: string[];
}

export async function createMigrationFixture(options: FixtureOptions = {}): Promise<MigrationFixture> {
  const names = options.mailboxes ?? [];
  const usersAt = (domain: string) => Object.fromEntries(names.map((n) => [`${n}@${domain}`, 'pw']));
  const [source, destination] = await Promise.all([
    startDovecot({ separator: '/', users: usersAt(SOURCE_DOMAIN), ...options.source }),
    startDovecot({ separator: '.', users: usersAt(DEST_DOMAIN), ...options.destination }),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-data-'));
  const open = (connectors?: FixtureOptions['connectors']) =>
    EmbeddedRuntime.open({
      dataDir,
      concurrency: 2,
      lockMs: 5_000,
      pollMs: 50,
      connectors,
      log: silentLog,
      retry: { maxInlineWaitMs: 5_000, maxReconnects: 5, reconnectBaseMs: 200 },
    });
  let runtime = await open(options.connectors);
  const { services } = runtime;
  const endpoint = (server: DovecotServer, name: string) =>
    services.projects.createEndpoint(LOCAL_TENANT, {
      name,
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
    });
  const src = await endpoint(source, 'Source Dovecot');
  const dst = await endpoint(destination, 'Destination Dovecot');
  const project = await services.projects.createProject(LOCAL_TENANT, {
    name: 'Integration',
    sourceEndpointId: src.id,
    destinationEndpointId: dst.id,
    options: options.projectOptions ?? [],
    maxConcurrentMigrations: 5,
  });

  const fixture: MigrationFixture = {
    source,
    destination,
    runtime,
    dataDir,
    projectId: project.id,
    sourceEndpointId: src.id,
    destinationEndpointId: dst.id,
    async addMailbox(name) {
      const sourceUser = `${name}@${SOURCE_DOMAIN}`;
      const destUser = `${name}@${DEST_DOMAIN}`;
      if (!names.includes(name)) {
        await Promise.all([source.addUser(sourceUser, 'pw'), destination.addUser(destUser, 'pw')]);
      }
      const item = await fixture.runtime.services.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: sourceUser,
        destinationAddress: destUser,
        endUserCredentials: false,
        options: [],
      });
      return { itemId: item.id, sourceUser, destUser };
    },
    async runPass(kind, itemIds, extra = {}) {
      const rt = fixture.runtime;
      const { pass } = await rt.services.passes.startPass(LOCAL_TENANT, project.id, parseInput(passInput, { kind, itemIds, ...extra }));
      rt.startWorkers();
      return waitForPass(rt, pass.id);
    },
    async reopen(connectors) {
      await fixture.runtime.close();
      runtime = fixture.runtime = await open(connectors);
    },
    async close() {
      await fixture.runtime.close();
      await Promise.all([source.stop(), destination.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

export async function waitForPass(runtime: EmbeddedRuntime, passId: string, timeoutMs = PASS_TIMEOUT_MS): Promise<Pass> {
  const ended = async () => {
    await runtime.tick();
    const pass = await runtime.services.passes.getPass(LOCAL_TENANT, passId);
    return pass.status === 'completed' || pass.status === 'stopped' ? pass : undefined;
  };
  const describe = async () => {
    const pass = await runtime.services.passes.getPass(LOCAL_TENANT, passId);
    const { items } = await runtime.services.progress(LOCAL_TENANT, pass.projectId);
    const stuck = items
      .filter((i) => pass.itemIds.includes(i.id))
      .map((i) => `${i.sourceAddress}: ${i.status} ${JSON.stringify(i.progress)} ${i.reason ?? ''}`);
    return `status ${pass.status}; queue depth ${await runtime.queue.depth()}: ${stuck.join('; ')}`;
  };
  return waitUntil(`pass ${passId} to end`, ended, { timeoutMs, intervalMs: POLL_MS, describe });
}

/** Quiet by default; MAILFERRY_TEST_LOG=1 prints the engine's log lines when a test needs explaining. */
const show = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  if (process.env.MAILFERRY_TEST_LOG) console.log(JSON.stringify({ at: new Date().toISOString(), level, message, ...fields }));
};
export const silentLog = { info: show('info'), warn: show('warn'), error: show('error') };
