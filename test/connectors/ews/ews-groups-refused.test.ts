/**
 * A Microsoft 365 Groups endpoint whose tenant refused EWS (HTTP 403 with X-EWS-Policy-Reason):
 * the item's error names the Groups way out over Graph and what it loses, besides the allow-list;
 * an Exchange Online mailbox endpoint keeps its own advice (Graph import/export).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EwsConnector } from '../../../api/connectors/ews/ews-connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';

const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };

function endpoint(url: string, kind: Endpoint['kind']): Endpoint {
  return {
    tenantId: 't',
    id: `${kind}-endpoint`,
    version: 1,
    name: kind === 'm365-group' ? 'Team groups' : 'Exchange Online',
    kind,
    host: url,
    adminMode: 'delegation',
    adminLogin: ADMIN.smtp,
    protocol: 'ews',
    createdAt: new Date().toISOString(),
  };
}

describe('EWS refused for a Microsoft 365 Groups endpoint', () => {
  let server: EwsTestServer;
  beforeAll(async () => {
    server = await startEwsServer({ users: [], admin: ADMIN, ewsDisabled: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('names the Graph conversation path, what it loses and the sign-in, and the allow-list', async () => {
    const open = new EwsConnector().open({
      endpoint: endpoint(server.url, 'm365-group'),
      mailbox: 'team@contoso.test',
      adminPassword: ADMIN.password,
    });
    await expect(open).rejects.toThrow(/X-EWS-Policy-Reason: "EWS is disabled for this user or tenant"/);
    const message = (await open.catch((e: Error) => e)) as Error;
    expect(message.message).toMatch(
      /switch this Groups endpoint to Microsoft Graph, which keeps less: each message becomes a conversation posted to the group by a signed-in administrator, with the original sender and dates only as text in the post, no attachments, mail only/,
    );
    expect(message.message).toContain(
      'Endpoints → "Team groups" → Edit → Protocol → Microsoft Graph conversation posts, then "Sign in as an administrator"',
    );
    expect(message.message).toContain('mailferry endpoint sign-in m365-group-endpoint');
    expect(message.message).not.toMatch(/PATCH|\{id\}|--endpoint …/);
    expect(message.message).toContain('Set-OrganizationConfig -EwsAllowedAppIDs');
  });

  it('keeps the mailbox advice for an Exchange Online endpoint', async () => {
    const error = (await new EwsConnector()
      .open({ endpoint: endpoint(server.url, 'm365'), mailbox: 'a@contoso.test', adminPassword: ADMIN.password })
      .catch((e: Error) => e)) as Error;
    // The admin's words: where in the console, and the CLI with this endpoint's id (not the HTTP API's PATCH body).
    expect(error.message).toContain(
      'switch this endpoint to Microsoft Graph (in the console, Endpoints → "Exchange Online" → Edit → Protocol → Microsoft Graph, ' +
        'or "mailferry endpoint set-protocol --endpoint m365-endpoint --protocol graph"',
    );
    expect(error.message).not.toMatch(/PATCH|\{id\}|--endpoint …/);
    expect(error.message).not.toContain('conversation');
  });
});
