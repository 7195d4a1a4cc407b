/**
 * Signing in to the Graph test server's Entra endpoint the ways a Graph connector does, with the
 * real msal-node: client credentials with a certificate (client assertion), and for the Groups
 * path a delegated Group.ReadWrite.All token by device code (the admin signs in once), kept
 * going afterwards with the refresh token alone, until it is revoked.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustingNetworkClient } from '../support/entra.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { graphClient } from './graph-client.js';
import { waitUntil } from '../support/wait-until.js';

const ALICE = 'alice@contoso.com';
const TEAM = 'team@contoso.com';
const CERT_APP = '33333333-aaaa-4bbb-8ccc-000000000001';
const PUBLIC_APP = '33333333-aaaa-4bbb-8ccc-000000000002';
const GROUP_SCOPE = 'https://graph.microsoft.com/Group.ReadWrite.All';

function rsaCertificate(dir: string, name: string): { key: string; cert: string; sha256: string } {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`],
    { stdio: 'pipe' },
  );
  const cert = readFileSync(certFile, 'utf8');
  return { key: readFileSync(keyFile, 'utf8'), cert, sha256: createHash('sha256').update(new X509Certificate(cert).raw).digest('hex') };
}

describe('Graph test server sign-in', () => {
  let server: GraphTestServer;
  let dir: string;
  let registered: { key: string; cert: string; sha256: string };
  let stranger: { key: string; cert: string; sha256: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graph-sign-in-'));
    registered = rsaCertificate(dir, 'registered');
    stranger = rsaCertificate(dir, 'stranger');
    server = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE],
      groups: [TEAM],
      apps: [{ clientId: CERT_APP, certificatePem: registered.cert }, { clientId: PUBLIC_APP }],
    });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });
  const auth = (clientId: string) => ({
    clientId,
    authority: server.tokenEndpoint.authority,
    knownAuthorities: [server.tokenEndpoint.host],
  });
  const system = () => ({ networkClient: trustingNetworkClient(server.tokenEndpoint.caPem) });

  it('client credentials with the registered certificate give an app-only token; another certificate is refused', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { ...auth(CERT_APP), clientCertificate: { thumbprintSha256: registered.sha256, privateKey: registered.key } },
      system: system(),
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    const r = await graphClient(server, result!.accessToken).call(`/v1.0/users/${ALICE}/settings/exchange`);
    expect(r.status).toBe(200);

    const impostor = new ConfidentialClientApplication({
      auth: { ...auth(CERT_APP), clientCertificate: { thumbprintSha256: stranger.sha256, privateKey: stranger.key } },
      system: system(),
    });
    await expect(impostor.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toThrow(
      /AADSTS700027/,
    );
    const forged = new ConfidentialClientApplication({
      auth: { ...auth(CERT_APP), clientCertificate: { thumbprintSha256: registered.sha256, privateKey: stranger.key } },
      system: system(),
    });
    await expect(forged.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toThrow(
      /signature validation/,
    );
  });

  it('device code: the admin approves once; the delegated token posts a thread; the refresh token alone gets more until revoked', async () => {
    const pca = new PublicClientApplication({ auth: auth(PUBLIC_APP), system: system() });
    let shown = '';
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [GROUP_SCOPE],
      deviceCodeCallback: (r) => {
        shown = r.message;
        expect(server.tokenEndpoint.pendingDeviceCodes()).toContain(r.userCode);
        server.tokenEndpoint.approveDeviceCode(r.userCode, ALICE);
      },
    });
    expect(shown).toMatch(/enter the code [A-Z]{9}/);
    expect(result!.account?.username).toBe(ALICE);
    const thread = { topic: 'Hello', posts: [{ body: { contentType: 'text', content: 'First post' } }] };
    const posted = await graphClient(server, result!.accessToken).call(`/v1.0/groups/${server.objectId(TEAM)}/threads`, { body: thread });
    expect(posted.status).toBe(201);

    // What a connector keeps in its vault: the refresh token from msal-node's cache.
    const cache = JSON.parse(pca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const refreshToken = Object.values(cache.RefreshToken)[0]!.secret;
    const later = new PublicClientApplication({ auth: auth(PUBLIC_APP), system: system() });
    const renewed = await later.acquireTokenByRefreshToken({ refreshToken, scopes: [GROUP_SCOPE] });
    expect(
      (await graphClient(server, renewed!.accessToken).call(`/v1.0/groups/${server.objectId(TEAM)}/threads`, { body: thread })).status,
    ).toBe(201);

    server.tokenEndpoint.revokeRefreshTokens(ALICE);
    const after = new PublicClientApplication({ auth: auth(PUBLIC_APP), system: system() });
    await expect(after.acquireTokenByRefreshToken({ refreshToken, scopes: [GROUP_SCOPE] })).rejects.toThrow(/AADSTS50173/);
  });

  it('with a short token lifetime msal-node renews near expiry, and an expired token gets 401', async () => {
    const shortLived = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE],
      apps: [{ clientId: CERT_APP, secret: 's' }],
      tokenLifetimeS: 2,
    });
    try {
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: CERT_APP,
          clientSecret: 's',
          authority: shortLived.tokenEndpoint.authority,
          knownAuthorities: [shortLived.tokenEndpoint.host],
        },
        system: { networkClient: trustingNetworkClient(shortLived.tokenEndpoint.caPem) },
      });
      const first = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      // msal-node renews tokens within 5 minutes of expiry: a 2-second token is fetched again every time.
      await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      expect(shortLived.tokenEndpoint.issued).toBe(2);
      const call = () =>
        graphClient(shortLived, first!.accessToken).call<{ error: { code: string; message: string } }>(
          `/v1.0/users/${ALICE}/settings/exchange`,
        );
      // The test server checks expiry on the real clock: ask until the 2-second token has run out.
      const expired = await waitUntil(
        'the 2-second token to expire',
        async () => {
          const answer = await call();
          return answer.status === 401 ? answer : undefined;
        },
        { intervalMs: 200 },
      );
      expect(expired.status).toBe(401);
      expect(expired.body.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: expect.stringMatching(/expired/) });
    } finally {
      await shortLived.close();
    }
  });

  it('a declined sign-in and an unconsented permission are refused', async () => {
    const pca = new PublicClientApplication({ auth: auth(PUBLIC_APP), system: system() });
    await expect(
      pca.acquireTokenByDeviceCode({
        scopes: [GROUP_SCOPE],
        deviceCodeCallback: (r) => server.tokenEndpoint.declineDeviceCode(r.userCode),
      }),
    ).rejects.toThrow(/authorization_declined|declined/);
    await expect(
      pca.acquireTokenByDeviceCode({
        scopes: ['https://graph.microsoft.com/Directory.ReadWrite.All'],
        deviceCodeCallback: () => undefined,
      }),
    ).rejects.toThrow(/invalid_grant/);
  });
});
