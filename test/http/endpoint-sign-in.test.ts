/**
 * The administrator's device-code sign-in over real HTTP (Microsoft 365 Groups over Graph): the
 * routes are tenant-scoped and for Managers and Owners of the endpoint's workgroup, answer JSON,
 * show the code and then who signed in, and never return the token cache or its vault reference.
 * The sign-in itself is msal-node against the Graph test server's Entra stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphConnector } from '../../api/connectors/graph/index.js';
import { startEntraApi, type EntraApi } from '../support/entra-api.js';
import { startGraphServer, trustingNetworkClient, type GraphTestServer } from '../support/graph/index.js';
import { waitUntil } from '../support/wait-until.js';
import { text } from '../support/json-answer.js';

const TENANT = 'dddddddd-0000-4000-8000-000000000012';
const OTHER_TENANT = 'dddddddd-0000-4000-8000-000000000013';
const APP = '6b2c3d4e-2222-4333-8444-a55566667777';
const ADMIN = 'olivia@contoso.com';

describe('administrator sign-in routes (over real HTTP)', () => {
  let graph: GraphTestServer;
  let api: EntraApi;
  const tokens: Record<string, string> = {};
  const as = (who: string, method: string, path: string, body?: unknown) => api.call(tokens[who], method, `/api/v1${path}`, body);
  let groupId: string;
  let imapId: string;

  beforeAll(async () => {
    graph = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ADMIN],
      groups: ['team@contoso.com'],
      apps: [{ clientId: APP }],
    });
    const connector = new GraphConnector({
      modernAuth: { authorityHost: `https://${graph.tokenEndpoint.host}`, networkClient: trustingNetworkClient(graph.tokenEndpoint.caPem) },
    });
    api = await startEntraApi({
      allowedTenants: [TENANT, OTHER_TENANT],
      tenantOwners: new Map([
        [TENANT, ['olivia-oid']],
        [OTHER_TENANT, ['eve-oid']],
      ]),
      connectors: { graph: connector },
    });
    tokens.olivia = await api.issuer.mint({ tid: TENANT, oid: 'olivia-oid', name: 'olivia' });
    tokens.agnes = await api.issuer.mint({ tid: TENANT, oid: 'agnes-oid', name: 'agnes' });
    tokens.eve = await api.issuer.mint({ tid: OTHER_TENANT, oid: 'eve-oid', name: 'eve' });
    const workgroup = (await as('olivia', 'GET', '/workgroups')).json.items[0].id;
    await as('olivia', 'PUT', `/workgroups/${workgroup}/members`, {
      members: [
        { userId: 'olivia-oid', role: 'Owner' },
        { userId: 'agnes-oid', role: 'Agent' },
      ],
    });
    await as('eve', 'GET', '/workgroups');
    const created = await as('olivia', 'POST', '/endpoints', {
      name: 'Team (Graph)',
      kind: 'm365-group',
      protocol: 'graph',
      host: graph.graphUrl,
      appClientId: APP,
      appTenantId: graph.tenantId,
    });
    expect(created.status).toBe(201);
    groupId = text(created.json.id);
    imapId = text((await as('olivia', 'POST', '/endpoints', { name: 'IMAP', kind: 'imap', host: 'imap.test' })).json.id);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await graph?.close();
  });

  it('refuses an Agent (403), another tenant (404), and an endpoint that needs no sign-in (400, saying why)', async () => {
    const agent = await as('agnes', 'POST', `/endpoints/${groupId}/sign-in`);
    expect(agent.status).toBe(403);
    expect((await as('agnes', 'GET', `/endpoints/${groupId}/sign-in`)).status).toBe(403);
    expect((await as('eve', 'POST', `/endpoints/${groupId}/sign-in`)).status).toBe(404);
    expect((await as('eve', 'GET', `/endpoints/${groupId}/sign-in`)).status).toBe(404);
    const imap = await as('olivia', 'POST', `/endpoints/${imapId}/sign-in`);
    expect(imap.status).toBe(400);
    expect(imap.json.detail).toMatch(/only a Microsoft 365 Groups endpoint whose protocol is graph/);
    expect(graph.tokenEndpoint.pendingDeviceCodes()).toEqual([]);
  });

  it('shows the code and the page, then who signed in; never the token cache or its reference', async () => {
    expect((await as('olivia', 'GET', `/endpoints/${groupId}/sign-in`)).json).toEqual({ state: 'none' });
    const started = await as('olivia', 'POST', `/endpoints/${groupId}/sign-in`);
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({
      state: 'waiting',
      prompt: { verificationUri: 'https://microsoft.com/devicelogin', message: expect.stringMatching(/enter the code [A-Z]{9}/) },
    });
    expect((await as('olivia', 'GET', `/endpoints/${groupId}/sign-in`)).json.state).toBe('waiting');
    graph.tokenEndpoint.approveDeviceCode(text(started.json.prompt.userCode), ADMIN);
    const status = await waitUntil(
      'the device-code sign-in to finish',
      async () => {
        const current = (await as('olivia', 'GET', `/endpoints/${groupId}/sign-in`)).json;
        return text(current.state) === 'waiting' ? undefined : current;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(status).toMatchObject({ state: 'signed-in', signedInAs: ADMIN });
    const endpoint = (await as('olivia', 'GET', `/endpoints/${groupId}`)).json;
    expect(endpoint).toMatchObject({ hasSignIn: true, signedInAs: ADMIN });
    const stored = await api.runtime.store.endpoints.get(TENANT, groupId);
    const cache = await api.runtime.engine.vault.get(TENANT, stored!.signInRef!);
    const refresh = Object.values(JSON.parse(cache).RefreshToken as Record<string, { secret: string }>)[0]!.secret;
    const everything = JSON.stringify([status, endpoint, (await as('olivia', 'GET', '/endpoints')).json]);
    expect(everything).not.toContain(refresh);
    expect(everything).not.toContain(stored!.signInRef!);
    expect(everything).not.toContain('signInRef');
  }, 60_000);
});
