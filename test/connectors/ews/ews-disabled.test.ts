/**
 * The EWS test server as an Exchange Online tenant that switched EWS off (Microsoft's roll-out
 * from 2026-10-01): every call, authenticated or not, answers HTTP 403 with
 * `X-EWS-Policy-Reason: EWS is disabled for this user or tenant`; the switch also flips at runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EWS_DISABLED_REASON, startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { NS } from '../../support/ews/xml.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const GET_INBOX =
  `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
  `<s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>` +
  `<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>`;

function getInbox(url: string, authorization?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(authorization ? { Authorization: authorization } : {}) },
    body: GET_INBOX,
  });
}

describe('EWS test server with EWS disabled for the tenant', () => {
  let server: EwsTestServer;
  const basic = `Basic ${Buffer.from(`${ALICE.smtp}:${ALICE.password}`).toString('base64')}`;
  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE], ewsDisabled: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers every call 403 with X-EWS-Policy-Reason, before authentication', async () => {
    for (const auth of [basic, undefined, 'Bearer not-a-token']) {
      const res = await getInbox(server.url, auth);
      expect(res.status).toBe(403);
      expect(res.headers.get('x-ews-policy-reason')).toBe('EWS is disabled for this user or tenant');
    }
    expect(EWS_DISABLED_REASON).toBe('EWS is disabled for this user or tenant');
  });

  it('serves again when switched back on at runtime, and refuses when switched off', async () => {
    server.ewsDisabled = false;
    const ok = await getInbox(server.url, basic);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ews-policy-reason')).toBeNull();
    server.ewsDisabled = true;
    expect((await getInbox(server.url, basic)).status).toBe(403);
  });
});
