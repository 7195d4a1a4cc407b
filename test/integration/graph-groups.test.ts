/**
 * IMAP (a real Dovecot) → a Microsoft 365 group over Microsoft Graph, through the real engine,
 * the real Graph connector and msal-node against the Graph test server's Entra stand-in: the
 * administrator signs in once by device code; each message becomes exactly one conversation
 * posted to the group with the original sender and date as text; a second pass posts nothing;
 * a revoked refresh token fails the item with "sign in again" and where; an app without the
 * delegated permission is refused at sign-in with the permission named. Every Graph body is
 * checked against the CSDL by the test server (close() rejects otherwise).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphConnector } from '../../api/connectors/graph/index.js';
import type { Pass, PassKind } from '../../api/core/model.js';
import { endpointInput, parseInput, passInput } from '../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT as T } from '../../api/local/embedded-runtime.js';
import { fillMailbox, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../support/graph/index.js';
import { silentLog, waitForPass } from '../support/migration-fixture.js';

const ADMIN = 'groups-admin@contoso.com';
const TEAM = 'team@contoso.com';
const SOURCE = 'dana@src.test';
const APP = '5a1b2c3d-1111-4222-8333-944455556666';
const APP_WITHOUT_GROUPS = '5a1b2c3d-1111-4222-8333-944455557777';

const plain = (n: number) =>
  Buffer.from(
    'From: =?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.com>\r\nTo: Dana <dana@src.test>\r\n' +
      `Subject: Budget ${n}\r\nDate: Tue, 2 Jan 2024 09:0${n}:00 +0100\r\nMessage-ID: <b${n}@example.com>\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\nPlease find the numbers <${n}> below.\r\n`,
  );
const withAttachment = Buffer.from(
  'From: Ops <ops@example.com>\r\nTo: Dana <dana@src.test>\r\nSubject: Report\r\nDate: Wed, 3 Jan 2024 12:00:00 +0000\r\n' +
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
    '--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the <b>report</b>.</p>\r\n' +
    '--b1\r\nContent-Type: application/pdf; name="q4-report.pdf"\r\nContent-Disposition: attachment; filename="q4-report.pdf"\r\n' +
    'Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--b1--\r\n',
);

describe('IMAP → Microsoft 365 Groups over Microsoft Graph (conversation posts)', () => {
  let graph: GraphTestServer;
  let dovecot: DovecotServer;
  let runtime: EmbeddedRuntime;
  let dataDir: string;
  let projectId: string;
  let groupEndpointId: string;
  let itemId: string;
  /** The refresh token the administrator's sign-in brought. */
  let firstRefreshToken: string;

  /** The embedded host on the test's data directory, with a connector of its own (as a restarted host has). */
  const openRuntime = () =>
    EmbeddedRuntime.open({
      dataDir,
      concurrency: 1,
      lockMs: 5_000,
      pollMs: 50,
      log: silentLog,
      connectors: {
        graph: new GraphConnector({
          modernAuth: {
            authorityHost: `https://${graph.tokenEndpoint.host}`,
            networkClient: trustingNetworkClient(graph.tokenEndpoint.caPem),
          },
        }),
      },
      retry: { maxInlineWaitMs: 5_000, maxReconnects: 2, reconnectBaseMs: 100 },
    });
  const refreshTokenIn = (tokenCache: string) =>
    Object.values(JSON.parse(tokenCache).RefreshToken as Record<string, { secret: string }>)[0]!.secret;

  const runPass = async (kind: PassKind): Promise<Pass> => {
    const { pass } = await runtime.services.passes.startPass(T, projectId, parseInput(passInput, { kind, itemIds: [itemId] }));
    runtime.startWorkers();
    return waitForPass(runtime, pass.id, 60_000);
  };
  const signIn = async (endpointId: string) => {
    const started = await runtime.services.signIns.start(T, endpointId);
    expect(started).toMatchObject({ state: 'waiting', prompt: { verificationUri: 'https://microsoft.com/devicelogin' } });
    graph.tokenEndpoint.approveDeviceCode(started.prompt!.userCode, ADMIN);
    return runtime.services.signIns.settled(T, endpointId);
  };
  const threads = () => graph.read.items(TEAM, 'Inbox').filter((i) => i.origin === 'groupThread');

  beforeAll(async () => {
    // Access tokens that expire within msal's 5-minute renewal margin: every request redeems the refresh token.
    graph = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ADMIN],
      groups: [TEAM],
      tokenLifetimeS: 120,
      apps: [{ clientId: APP }, { clientId: APP_WITHOUT_GROUPS, delegated: ['User.Read'] }],
    });
    dovecot = await startDovecot({ separator: '/', users: { [SOURCE]: 'pw' } });
    await fillMailbox(dovecot, SOURCE, 'INBOX', [{ raw: plain(1) }, { raw: withAttachment }, { raw: plain(2) }]);
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-graph-groups-'));
    runtime = await openRuntime();
    const create = (input: Record<string, unknown>) => runtime.services.projects.createEndpoint(T, parseInput(endpointInput, input));
    const source = await create({
      name: 'Dovecot',
      kind: 'imap',
      host: dovecot.host,
      port: dovecot.port,
      security: 'none',
      adminMode: 'plain-authzid',
      adminLogin: dovecot.masterUser,
      adminPassword: dovecot.masterPassword,
    });
    const group = await create({
      name: 'Team group (Graph)',
      kind: 'm365-group',
      protocol: 'graph',
      host: graph.graphUrl,
      appClientId: APP,
      appTenantId: graph.tenantId,
    });
    groupEndpointId = group.id;
    const project = await runtime.services.projects.createProject(T, {
      name: 'Mailbox to group',
      sourceEndpointId: source.id,
      destinationEndpointId: group.id,
      options: [],
      maxConcurrentMigrations: 1,
    });
    projectId = project.id;
    itemId = (
      await runtime.services.items.addItem(T, projectId, {
        sourceAddress: SOURCE,
        destinationAddress: TEAM,
        endUserCredentials: false,
        options: [],
      })
    ).id;
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await dovecot?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await graph?.close();
  });

  it('without an administrator sign-in the item fails and says to sign in, and where', async () => {
    await runPass('full');
    const item = await runtime.services.items.getItem(T, itemId);
    expect(item.status).toBe('Failed');
    expect(item.lastRun?.reason).toMatch(/nobody has signed in yet/);
    expect(item.lastRun?.reason).toContain(`mailferry endpoint sign-in --endpoint ${groupEndpointId}`);
    expect(threads()).toHaveLength(0);
  }, 90_000);

  it('the administrator signs in once by device code; the refresh token is kept encrypted and never shown', async () => {
    const status = await signIn(groupEndpointId);
    expect(status).toMatchObject({ state: 'signed-in', signedInAs: ADMIN });
    const endpoint = await runtime.services.projects.getEndpoint(T, groupEndpointId);
    const tokenCache = await runtime.engine.vault.get(T, endpoint.signInRef!);
    const refreshToken = refreshTokenIn(tokenCache);
    expect(refreshToken.length).toBeGreaterThan(20);
    firstRefreshToken = refreshToken;
    const shown = JSON.stringify([
      await runtime.services.signIns.status(T, groupEndpointId),
      (await runtime.services.projects.listEndpoints(T)).items,
    ]);
    expect(shown).not.toContain(refreshToken);
    expect(shown).not.toContain(endpoint.signInRef!);
    expect(shown).toContain(`"signedInAs":"${ADMIN}"`);
    const onDisk = ['mailferry.db', 'mailferry.db-wal']
      .map((f) => {
        try {
          return readFileSync(join(dataDir, f)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(onDisk).not.toContain(refreshToken);
  }, 60_000);

  it('posts exactly one conversation per message with the original sender and date as text; a second pass posts nothing', async () => {
    const first = await runPass('full');
    expect(first.summary).toMatchObject({ copied: 3 });
    const posted = threads();
    expect(posted.map((t) => t.subject).sort()).toEqual(['Budget 1', 'Budget 2', 'Report']);
    const budget1 = posted.find((t) => t.subject === 'Budget 1')!.body!;
    expect(budget1).toContain('Jürgen Müller &lt;juergen@example.com&gt;');
    expect(budget1).toContain('Tue, 2 Jan 2024 09:01:00 +0100 (2024-01-02T08:01:00.000Z)');
    expect(budget1).toContain('Please find the numbers &lt;1&gt; below.');
    const report = posted.find((t) => t.subject === 'Report')!.body!;
    expect(report).toContain('<p>See the <b>report</b>.</p>');
    expect(report).toContain('q4-report.pdf');
    const item = await runtime.services.items.getItem(T, itemId);
    expect(item.status).toBe('Completed With Errors');
    const rows = (await runtime.services.items.errorLog(T, itemId)).items;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reason).toMatch(/without its attachments.*"q4-report\.pdf"/);

    const second = await runPass('full');
    expect(second.summary).toMatchObject({ copied: 0 });
    expect(threads()).toHaveLength(3);
  }, 120_000);

  it("refresh tokens Entra ID rotated go back to the vault, encrypted: after the first one's lifetime a restarted host still posts", async () => {
    // The pass before redeemed the refresh token on every request (2-minute access tokens), each time for a new one.
    const endpoint = await runtime.services.projects.getEndpoint(T, groupEndpointId);
    const rotated = refreshTokenIn(await runtime.engine.vault.get(T, endpoint.signInRef!));
    expect(rotated).not.toBe(firstRefreshToken);
    const onDisk = ['mailferry.db', 'mailferry.db-wal']
      .map((f) => {
        try {
          return readFileSync(join(dataDir, f)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(onDisk).not.toContain(rotated);
    expect(endpoint).toMatchObject({ signedInAs: ADMIN });

    graph.tokenEndpoint.expireRefreshTokens([firstRefreshToken]);
    await runtime.close();
    runtime = await openRuntime();
    await fillMailbox(dovecot, SOURCE, 'INBOX', [{ raw: plain(5) }]);
    const pass = await runPass('full');
    expect((await runtime.services.items.getItem(T, itemId)).lastRun?.reason ?? '').not.toMatch(/sign in again/i);
    expect(pass.summary).toMatchObject({ copied: 1 });
    expect(threads().map((t) => t.subject)).toContain('Budget 5');
  }, 120_000);

  it('a revoked refresh token fails the item with "sign in again" and where; after signing in again only the new message is posted', async () => {
    graph.tokenEndpoint.revokeRefreshTokens(ADMIN);
    await fillMailbox(dovecot, SOURCE, 'INBOX', [{ raw: plain(3) }]);
    await runPass('full');
    const failed = await runtime.services.items.getItem(T, itemId);
    expect(failed.status).toBe('Failed');
    expect(failed.lastRun?.reason).toMatch(
      /no longer accepted by Entra ID \("AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed\. The user might have changed or reset their password\."\)/,
    );
    expect(failed.lastRun?.reason).toContain(
      `Sign in again as an administrator: in the console, Endpoints → "Team group (Graph)" → Sign in as an administrator, or run "mailferry endpoint sign-in --endpoint ${groupEndpointId}"`,
    );
    expect(threads()).toHaveLength(4);

    expect(await signIn(groupEndpointId)).toMatchObject({ state: 'signed-in', signedInAs: ADMIN });
    const again = await runPass('full');
    expect(again.summary).toMatchObject({ copied: 1 });
    expect(
      threads()
        .map((t) => t.subject)
        .sort(),
    ).toEqual(['Budget 1', 'Budget 2', 'Budget 3', 'Budget 5', 'Report']);
  }, 120_000);

  it('a worker killed between the post and its ledger write: the next pass finds the post by its reference and does not post again', async () => {
    // What a SIGKILL leaves: the post made, its ledger row still pending (written before the post).
    await fillMailbox(dovecot, SOURCE, 'INBOX', [{ raw: plain(4) }]);
    const done = await runtime.store.ledger.folderEntries(T, itemId, 'INBOX');
    const [uidValidity] = done[0]!.sourceKey.split(':');
    const uid = Math.max(...done.map((e) => Number(e.sourceKey.split(':')[1]))) + 1;
    const endpoint = await runtime.services.projects.getEndpoint(T, groupEndpointId);
    const session = await runtime.engine.connectorFor('m365-group').open({
      endpoint,
      mailbox: TEAM,
      delegatedSignIn: { tokenCache: await runtime.engine.vault.get(T, endpoint.signInRef!) },
    });
    const { path, state } = await session.ensureFolder(['Inbox'], 'mail');
    const ref = {
      key: `${uidValidity}:${uid}`,
      uid,
      size: plain(4).length,
      internalDate: Date.now(),
      flags: [],
      itemType: 'mail' as const,
    };
    await runtime.store.ledger.put([
      {
        tenantId: T,
        itemId,
        folder: 'INBOX',
        sourceKey: ref.key,
        destFolder: path,
        destId: '',
        size: ref.size,
        internalDate: ref.internalDate,
        state: 'pending',
        destUidFloor: state.uidNext,
        destUidValidity: state.uidValidity,
      },
    ]);
    for await (const result of session.appendMessages(
      path,
      (async function* () {
        yield { ref, content: plain(4) };
      })(),
    ))
      expect(result.destId).toBeDefined();
    await session.close();
    expect(threads().filter((t) => t.subject === 'Budget 4')).toHaveLength(1);

    const resumed = await runPass('full');
    expect(resumed.summary).toMatchObject({ copied: 1 });
    expect(threads().filter((t) => t.subject === 'Budget 4')).toHaveLength(1);
    expect((await runtime.store.ledger.folderEntries(T, itemId, 'INBOX')).find((e) => e.sourceKey === ref.key)).toMatchObject({
      state: 'done',
    });
    expect((await runPass('full')).summary).toMatchObject({ copied: 0 });
    expect(threads()).toHaveLength(6);
  }, 120_000);

  it('an app without the delegated Group.ReadWrite.All is refused at sign-in, naming the permission and where to grant it', async () => {
    const endpoint = await runtime.services.projects.createEndpoint(
      T,
      parseInput(endpointInput, {
        name: 'No consent',
        kind: 'm365-group',
        protocol: 'graph',
        host: graph.graphUrl,
        appClientId: APP_WITHOUT_GROUPS,
        appTenantId: graph.tenantId,
      }),
    );
    await expect(runtime.services.signIns.start(T, endpoint.id)).rejects.toThrow(
      /lacks the delegated permission Group\.ReadWrite\.All with admin consent \(In the Entra admin center, App registrations → the app 5a1b2c3d-1111-4222-8333-944455557777 → API permissions → Add a permission → Microsoft Graph → Delegated permissions → Group\.ReadWrite\.All, then Grant admin consent\.\)/,
    );
    expect(await runtime.services.signIns.status(T, endpoint.id)).toEqual({ state: 'none' });
  }, 60_000);
});
