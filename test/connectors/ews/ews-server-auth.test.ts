/**
 * Exchange Online Modern Auth against the EWS test server: the real @azure/msal-node 7.2.1
 * gets an app-only token from the server's local Entra endpoint (client-credentials grant), and
 * ews-javascript-api's OAuthCredentials uses it with ExchangeImpersonation; plus the Bearer rules
 * Exchange Online enforces.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  FolderView,
  ImpersonatedUserId,
  OAuthCredentials,
  Uri,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { EWS_ACCESS_AS_USER, EXO_RESOURCE, FULL_ACCESS_AS_APP, trustingNetworkClient } from '../../support/ews/auth.js';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { NS } from '../../support/ews/xml.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
const TEAM = 'team@contoso.test';
const APP = { clientId: '8a1f0c2e-1111-4222-8333-944455556666', clientSecret: 'app-secret~with.chars' };
const WELL_KNOWN_FOLDER_COUNT = 11;

function oauthClient(url: string, token: string, impersonate?: string): ExchangeService {
  const svc = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
  svc.Credentials = new OAuthCredentials(token);
  svc.Url = new Uri(url);
  if (impersonate) svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, impersonate);
  return svc;
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function getFolderWith(url: string, authorization: string): Promise<Response> {
  const body =
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
    `<s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>` +
    `<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>`;
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: authorization }, body });
}

describe('EWS test server: Exchange Online OAuth', () => {
  let server: EwsTestServer;
  beforeAll(async () => {
    server = await startEwsServer({
      users: [ALICE, BOB],
      admin: ADMIN,
      oauth: { apps: [APP] },
      groups: [{ smtp: TEAM, owners: [ALICE.smtp] }],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("msal-node gets an app-only token from the local endpoint; OAuthCredentials lists Alice's folders with impersonation", async () => {
    const endpoint = server.tokenEndpoint!;
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: APP.clientId,
        clientSecret: APP.clientSecret,
        authority: endpoint.authority,
        // Trusts the host: no instance discovery at login.microsoftonline.com, issuer accepted.
        knownAuthorities: [endpoint.host],
      },
      // Node's fetch would refuse the self-signed certificate; this client trusts it.
      system: { networkClient: trustingNetworkClient(endpoint.caPem) },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${EXO_RESOURCE}/.default`] });
    expect(result?.accessToken.split('.')).toHaveLength(3);
    expect(endpoint.issued).toBe(1);

    const found = await oauthClient(server.url, result!.accessToken, ALICE.smtp).FindFolders(
      WellKnownFolderName.MsgFolderRoot,
      new FolderView(100),
    );
    expect(found.TotalCount).toBe(WELL_KNOWN_FOLDER_COUNT);
    expect(server.validation.bearer).toBeGreaterThanOrEqual(1);

    // msal-node's cache answers the second call without the endpoint.
    await cca.acquireTokenByClientCredential({ scopes: [`${EXO_RESOURCE}/.default`] });
    expect(endpoint.issued).toBe(1);
  });

  it('msal-node also works from authorityMetadata alone (no openid-configuration fetch), and a wrong secret fails', async () => {
    const endpoint = server.tokenEndpoint!;
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: APP.clientId,
        clientSecret: 'wrong',
        authority: endpoint.authority,
        knownAuthorities: [endpoint.host],
        authorityMetadata: JSON.stringify(endpoint.openIdConfiguration),
      },
      system: { networkClient: trustingNetworkClient(endpoint.caPem) },
    });
    const err = await rejectionOf(cca.acquireTokenByClientCredential({ scopes: [`${EXO_RESOURCE}/.default`] }));
    expect(String(err.message)).toMatch(/AADSTS7000215|invalid_client/);
  });

  it('an app-only token without ExchangeImpersonation is refused as Exchange Online does', async () => {
    const token = await server.mintToken({ appId: APP.clientId, roles: [FULL_ACCESS_AS_APP] });
    const err = await rejectionOf(oauthClient(server.url, token).FindFolders(WellKnownFolderName.Inbox, new FolderView(10)));
    expect(String(err.message)).toMatch(/ExchangeImpersonation SOAP header must be present for this type of OAuth token/);
  });

  it('a delegated token acts as its upn, and may not impersonate', async () => {
    const token = await server.mintToken({ appId: APP.clientId, scp: EWS_ACCESS_AS_USER, upn: BOB.smtp });
    const found = await oauthClient(server.url, token).FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(100));
    expect(found.TotalCount).toBe(WELL_KNOWN_FOLDER_COUNT);
    const err = await rejectionOf(oauthClient(server.url, token, ALICE.smtp).FindFolders(WellKnownFolderName.Inbox, new FolderView(10)));
    expect(String(err.message)).toMatch(/must not exist for this type of OAuth token/);
  });

  it('impersonating a Groups mailbox is refused (ErrorImpersonateUserDenied)', async () => {
    const token = await server.mintToken({ appId: APP.clientId, roles: [FULL_ACCESS_AS_APP] });
    const err = await rejectionOf(oauthClient(server.url, token, TEAM).FindFolders(WellKnownFolderName.Inbox, new FolderView(10)));
    expect(String(err.message)).toMatch(/permission to impersonate/);
  });

  it('answers a bad signature, an expired token, a wrong audience and a missing role with 401 Bearer error="invalid_token"', async () => {
    const good = await server.mintToken({ appId: APP.clientId, roles: [FULL_ACCESS_AS_APP] });
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
    const cases: [string, string][] = [
      [forged, 'invalid_signature'],
      [await server.mintToken({ appId: APP.clientId, roles: [FULL_ACCESS_AS_APP], expiresIn: -120 }), 'invalid_token'],
      [
        await server.mintToken({ appId: APP.clientId, roles: [FULL_ACCESS_AS_APP], aud: 'https://graph.microsoft.com' }),
        'invalid_resource',
      ],
      [await server.mintToken({ appId: APP.clientId, roles: ['Mail.Read'] }), 'insufficient_scope'],
    ];
    const before = server.validation.unauthorized;
    for (const [token, category] of cases) {
      const res = await getFolderWith(server.url, `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      expect(res.headers.get('x-ms-diagnostics')).toContain(`error_category="${category}"`);
    }
    expect(server.validation.unauthorized).toBe(before + cases.length);
    // The client reports the 401 too.
    const err = await rejectionOf(oauthClient(server.url, forged, ALICE.smtp).FindFolders(WellKnownFolderName.Inbox, new FolderView(10)));
    expect(JSON.stringify(err) + String(err.message)).toMatch(/401|Unauthorized/i);
  });

  it('Basic auth keeps working next to Bearer', async () => {
    const res = await getFolderWith(server.url, `Basic ${Buffer.from(`${ALICE.smtp}:${ALICE.password}`).toString('base64')}`);
    expect(res.status).toBe(200);
  });

  it('schema-checked every request and response', () => {
    const v = server.validation;
    expect(v.requestFailures).toEqual([]);
    expect(v.responseFailures).toEqual([]);
    expect(v.responsesValidated).toBe(v.requestsValidated - v.faults);
  });
});
