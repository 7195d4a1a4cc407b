import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntraApi, type EntraApi } from '../support/entra-api.js';

const FOUNDED = 'aaaaaaaa-0000-4000-8000-000000000001';
const UNFOUNDED = 'bbbbbbbb-0000-4000-8000-000000000002';
const OWNER = 'owner-oid';
const COOWNER = 'co-owner-oid';
const DAEMON_ROLE = 'Mailferry.Migrate.All';

describe('who may sign in, and who founds a tenant (over real HTTP)', () => {
  let api: EntraApi;
  const mint = (claims: Parameters<EntraApi['issuer']['mint']>[0]) => api.issuer.mint(claims);

  beforeAll(async () => {
    api = await startEntraApi({
      allowedTenants: [FOUNDED, UNFOUNDED],
      tenantOwners: new Map([[FOUNDED, [OWNER, COOWNER]]]),
      entra: { appRoles: [DAEMON_ROLE] },
    });
  });
  afterAll(() => api?.close());

  it("refuses an app-only token (roles, no scp) that carries none of the API's app roles, with the reason", async () => {
    const daemon = await mint({ tid: FOUNDED, oid: 'stranger-app-oid', roles: ['Something.Else'] });
    const res = await api.call(daemon, 'GET', '/api/v1/projects');
    expect(res.status).toBe(401);
    expect(res.json.detail).toMatch(/app-only/);
    expect(res.json.detail).toMatch(new RegExp(DAEMON_ROLE.replace('.', '\\.')));
    const bare = await mint({ tid: FOUNDED, oid: 'stranger-app-oid', roles: [] });
    expect((await api.call(bare, 'GET', '/api/v1/workgroups')).status).toBe(401);
  });

  it('refuses a user token issued for another scope of the same audience', async () => {
    const res = await api.call(await mint({ tid: FOUNDED, oid: OWNER, scp: 'User.Read' }), 'GET', '/api/v1/workgroups');
    expect(res.status).toBe(401);
    expect(res.json.detail).toMatch(/access_as_user/);
  });

  it('does not let whoever signs in first found a tenant: the stranger gets nothing and a reason', async () => {
    const stranger = await mint({ tid: FOUNDED, oid: 'stranger-oid', name: 'First Come' });
    const list = await api.call(stranger, 'GET', '/api/v1/workgroups');
    expect(list.status).toBe(403);
    expect(list.json.detail).toMatch(/not set up for this tenant.*MAILFERRY_TENANT_OWNERS/);
    const create = await api.call(stranger, 'POST', '/api/v1/endpoints', { name: 'x', kind: 'imap', host: 'x.test' });
    expect(create.status).toBe(403);
    expect(create.json.detail).toMatch(/MAILFERRY_TENANT_OWNERS/);
    expect((await api.call(stranger, 'POST', '/api/v1/workgroups', { name: 'Mine' })).status).toBe(403);
  });

  it('founds the Default workgroup with every configured Owner when one of them signs in', async () => {
    const res = await api.call(await mint({ tid: FOUNDED, oid: COOWNER, name: 'Co-owner' }), 'GET', '/api/v1/workgroups');
    expect(res.status).toBe(200);
    expect(res.json.items).toHaveLength(1);
    expect(res.json.items[0]).toMatchObject({
      name: 'Default',
      members: [
        { userId: OWNER, role: 'Owner' },
        { userId: COOWNER, name: 'Co-owner', role: 'Owner' },
      ],
    });
    const stranger = await api.call(await mint({ tid: FOUNDED, oid: 'stranger-oid' }), 'GET', '/api/v1/workgroups');
    expect(stranger.status).toBe(403);
    expect(stranger.json.detail).toMatch(/ask an Owner to add you/);
    expect((await api.call(await mint({ tid: FOUNDED, oid: OWNER }), 'GET', '/api/v1/workgroups')).json.items[0].id).toBe(
      res.json.items[0].id,
    );
  });

  it('leaves a served tenant without configured Owners unfounded, whoever signs in', async () => {
    const someone = await mint({ tid: UNFOUNDED, oid: OWNER });
    expect((await api.call(someone, 'GET', '/api/v1/workgroups')).status).toBe(403);
    const res = await api.call(someone, 'GET', '/api/v1/projects');
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/not set up for this tenant/);
  });

  it("accepts an app-only token with one of the API's app roles as that application (it still needs a workgroup role)", async () => {
    const daemon = await mint({ tid: FOUNDED, oid: 'daemon-oid', roles: [DAEMON_ROLE] });
    const res = await api.call(daemon, 'GET', '/api/v1/projects');
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('forbidden');
  });
});
