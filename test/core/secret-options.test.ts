/**
 * Client secrets given as support options live in the vault like every other secret (issue 10,
 * finding 6): the database holds a reference, reads mask it, the connector gets the clear value
 * when a job runs, clear values left by an earlier version move into the vault when the host
 * starts, and the embedded host's data directory and database files are its owner's alone.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailConnector, MailboxAccess, MailboxSession } from '../../api/core/connector.js';
import { parseInput, passInput } from '../../api/core/schemas.js';
import { openSecretOptions } from '../../api/core/secret-options.js';
import { publicItem, publicProject } from '../../api/core/services/public-views.js';
import { EmbeddedRuntime, LOCAL_TENANT, SECRETS_SEALED_MARKER } from '../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../adapters/temp-dir.js';
import { silentLog, waitForPass } from '../support/migration-fixture.js';

const APP = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const EXPORT_SECRET = 'Xq8~export.Secret-value_1';
const IMPORT_SECRET = 'Yz9~import.Secret-value_2';
const projectOptions = [
  `ModernAuthClientIdExport=${APP}`,
  'ModernAuthTenantIdExport=contoso.onmicrosoft.com',
  `ModernAuthClientSecretExport=${EXPORT_SECRET}`,
];
const itemOptions = [
  `ModernAuthClientIdImport=${APP}`,
  'ModernAuthTenantIdImport=fabrikam.onmicrosoft.com',
  `modernauthclientsecretimport = "${IMPORT_SECRET}"`,
];
const skipOnWindows = process.platform === 'win32';

/** An IMAP connector that opens nothing and remembers what the engine handed it. */
function recordingConnector(seen: MailboxAccess[]): MailConnector {
  return {
    open: async (access) => {
      seen.push(access);
      return { close: async () => undefined } as MailboxSession;
    },
  };
}

/** Every byte SQLite keeps for the embedded host: the database, its WAL and shared memory. */
function databaseBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((name) => name.startsWith('mailferry.db'))
    .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
    .join('');
}

describe('client secrets in support options', () => {
  let dir: TempDir;
  let runtime: EmbeddedRuntime;
  const seen: MailboxAccess[] = [];
  const open = () =>
    EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog, pollMs: 20, connectors: { imap: recordingConnector(seen) } });

  beforeEach(async () => {
    dir = makeTempDir();
    seen.length = 0;
    runtime = await open();
  });
  afterEach(async () => {
    await runtime.close();
    dir.remove();
  });

  async function project(options: string[]) {
    const s = runtime.services;
    const endpoint = (name: string) =>
      s.projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'imap',
        host: '127.0.0.1',
        port: 1,
        security: 'none',
        allowSelfSigned: false,
        adminMode: 'none',
        authMechanism: 'password',
        domains: [],
      });
    const [src, dst] = [await endpoint('Source'), await endpoint('Destination')];
    return s.projects.createProject(LOCAL_TENANT, {
      name: 'Modern Auth',
      sourceEndpointId: src.id,
      destinationEndpointId: dst.id,
      options,
      maxConcurrentMigrations: 2,
    });
  }

  it('stores a reference, never the secret, and masks it on read', async () => {
    const created = await project(projectOptions);
    const item = await runtime.services.items.addItem(LOCAL_TENANT, created.id, {
      sourceAddress: 'a@src.test',
      destinationAddress: 'a@dst.test',
      sourcePassword: 'pw',
      endUserCredentials: false,
      options: itemOptions,
    });
    const stored = await runtime.services.projects.getProject(LOCAL_TENANT, created.id);
    expect(stored.options[2]).toMatch(/^ModernAuthClientSecretExport=vault:\S+$/);
    expect((await runtime.services.items.getItem(LOCAL_TENANT, item.id)).options[2]).toMatch(/^ModernAuthClientSecretImport=vault:\S+$/);
    expect(publicProject(stored).options[2]).toBe('ModernAuthClientSecretExport=********');
    expect(publicItem(await runtime.services.items.getItem(LOCAL_TENANT, item.id)).options[2]).toBe(
      'ModernAuthClientSecretImport=********',
    );
    await runtime.close();
    const bytes = databaseBytes(dir.path);
    expect(bytes).toContain('ModernAuthClientSecretExport=vault:');
    expect(bytes).not.toContain(EXPORT_SECRET);
    expect(bytes).not.toContain(IMPORT_SECRET);
    runtime = await open();
  });

  it('gives the connectors the clear secrets when a job runs, after a masked save kept them', async () => {
    const created = await project(projectOptions);
    await runtime.services.projects.updateProject(LOCAL_TENANT, created.id, {
      options: [...projectOptions.slice(0, 2), 'ModernAuthClientSecretExport=********', 'MaxErrors=3'],
    });
    const item = await runtime.services.items.addItem(LOCAL_TENANT, created.id, {
      sourceAddress: 'a@src.test',
      destinationAddress: 'a@dst.test',
      sourcePassword: 'pw',
      endUserCredentials: false,
      options: itemOptions,
    });
    const { pass } = await runtime.services.passes.startPass(
      LOCAL_TENANT,
      created.id,
      parseInput(passInput, { kind: 'verify', itemIds: [item.id] }),
    );
    runtime.startWorkers();
    await waitForPass(runtime, pass.id);
    expect((await runtime.services.items.getItem(LOCAL_TENANT, item.id)).status).toBe('Completed');
    const byMailbox = Object.fromEntries(seen.map((access) => [access.mailbox, access.modernAuth]));
    expect(byMailbox['a@src.test']).toEqual({ clientId: APP, tenantId: 'contoso.onmicrosoft.com', clientSecret: EXPORT_SECRET });
    expect(byMailbox['a@dst.test']).toEqual({ clientId: APP, tenantId: 'fabrikam.onmicrosoft.com', clientSecret: IMPORT_SECRET });
  });

  it('moves secrets an earlier version stored in clear into the vault when the host starts', async () => {
    const created = await project([]);
    // What an earlier version wrote: the option line as typed, and no record of a finished sweep.
    await runtime.store.projects.replace({
      ...(await runtime.services.projects.getProject(LOCAL_TENANT, created.id)),
      options: projectOptions,
    });
    await runtime.close();
    rmSync(join(dir.path, SECRETS_SEALED_MARKER));
    expect(databaseBytes(dir.path)).toContain(EXPORT_SECRET);
    runtime = await open();
    const sealed = (await runtime.services.projects.getProject(LOCAL_TENANT, created.id)).options;
    expect(sealed[2]).toMatch(/^ModernAuthClientSecretExport=vault:/);
    expect(await openSecretOptions(runtime.engine.vault, LOCAL_TENANT, sealed)).toEqual(projectOptions);
    // The sweep is recorded, so later starts skip it.
    expect(existsSync(join(dir.path, SECRETS_SEALED_MARKER))).toBe(true);
    await runtime.close();
    expect(databaseBytes(dir.path)).not.toContain(EXPORT_SECRET);
    runtime = await open();
  });
});

describe.skipIf(skipOnWindows)("the embedded host's files", () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('creates its data directory 0700 and mailferry.db, -wal and -shm 0600', async () => {
    const dataDir = join(dir.path, '.mailferry');
    const runtime = await EmbeddedRuntime.open({ dataDir, log: silentLog });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const name of ['mailferry.db', 'mailferry.db-wal', 'mailferry.db-shm'])
        expect([name, mode(join(dataDir, name))]).toEqual([name, 0o600]);
    } finally {
      await runtime.close();
    }
  });

  it('takes group and world access away from a data directory an earlier version left open', async () => {
    const dataDir = join(dir.path, 'old');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    await (await EmbeddedRuntime.open({ dataDir, log: silentLog })).close();
    chmodSync(join(dataDir, 'mailferry.db'), 0o644); // the umask's mode, as earlier versions left it
    const runtime = await EmbeddedRuntime.open({ dataDir, log: silentLog });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const name of ['mailferry.db', 'mailferry.db-wal']) expect([name, mode(join(dataDir, name))]).toEqual([name, 0o600]);
    } finally {
      await runtime.close();
    }
  });
});
