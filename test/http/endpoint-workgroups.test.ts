import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startEntraApi, type EntraApi } from '../support/entra-api.js';
import { list, text } from '../support/json-answer.js';

const TENANT = 'dddddddd-0000-4000-8000-000000000004';
const IMAP = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'imap',
  host: `${name.toLowerCase().replace(/\W+/g, '-')}.test`,
  ...extra,
});

/** Issue 10 #5: endpoints belong to a workgroup; a Manager of one cannot see, check or use another's. */
describe('endpoints belong to a workgroup (over real HTTP)', () => {
  let api: EntraApi;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const as = (who: string, method: string, path: string, body?: unknown) => api.call(tokens[who], method, `/api/v1${path}`, body);
  const names = async (who: string) =>
    list((await as(who, 'GET', '/endpoints')).json.items)
      .map((e) => text(e.name))
      .sort();

  beforeAll(async () => {
    api = await startEntraApi({ allowedTenants: [TENANT], tenantOwners: new Map([[TENANT, ['olivia-oid']]]) });
    for (const who of ['olivia', 'mallory', 'frank', 'agnes'])
      tokens[who] = await api.issuer.mint({ tid: TENANT, oid: `${who}-oid`, name: who });
    ids.default = text((await as('olivia', 'GET', '/workgroups')).json.items[0].id);
    await as('olivia', 'PUT', `/workgroups/${ids.default}/members`, {
      members: [
        { userId: 'olivia-oid', role: 'Owner' },
        { userId: 'mallory-oid', role: 'Manager' },
        { userId: 'agnes-oid', role: 'Agent' },
      ],
    });
    ids.finance = text((await as('olivia', 'POST', '/workgroups', { name: 'Finance' })).json.id);
    await as('olivia', 'PUT', `/workgroups/${ids.finance}/members`, {
      members: [
        { userId: 'olivia-oid', role: 'Owner' },
        { userId: 'frank-oid', role: 'Manager' },
      ],
    });
    ids.financeAdmin = text(
      (
        await as(
          'frank',
          'POST',
          '/endpoints',
          IMAP('Finance Exchange admin', {
            workgroupId: ids.finance,
            adminMode: 'login-star',
            adminLogin: 'admin',
            adminPassword: 'Finance-Admin-Pw',
          }),
        )
      ).json.id,
    );
    ids.mine = text((await as('mallory', 'POST', '/endpoints', IMAP('Mallory IMAP'))).json.id);
    // Stored before endpoints had a workgroup: it belongs to the tenant's Default workgroup.
    const legacy = await api.runtime.store.endpoints.insert({
      tenantId: TENANT,
      id: 'legacy-endpoint',
      name: 'Legacy IMAP',
      kind: 'imap',
      host: 'legacy.test',
      adminMode: 'none',
      createdAt: new Date().toISOString(),
    });
    ids.legacy = legacy.id;
  });
  afterAll(() => api?.close());

  it("creates an endpoint in the workgroup asked for, or the caller's first managed one", async () => {
    expect((await as('frank', 'GET', `/endpoints/${ids.financeAdmin}`)).json.workgroupId).toBe(ids.finance);
    expect((await as('mallory', 'GET', `/endpoints/${ids.mine}`)).json.workgroupId).toBe(ids.default);
    const elsewhere = await as('mallory', 'POST', '/endpoints', IMAP('Into Finance', { workgroupId: ids.finance }));
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json.field).toBe('workgroupId');
  });

  it("lists to each user only the endpoints of their workgroups; legacy ones are the Default workgroup's", async () => {
    expect(await names('mallory')).toEqual(['Legacy IMAP', 'Mallory IMAP']);
    expect(await names('agnes')).toEqual(['Legacy IMAP', 'Mallory IMAP']);
    expect(await names('frank')).toEqual(['Finance Exchange admin']);
    expect(await names('olivia')).toEqual(['Finance Exchange admin', 'Legacy IMAP', 'Mallory IMAP']);
  });

  it("answers 404 to a user outside the endpoint's workgroup on every endpoint route", async () => {
    const path = `/endpoints/${ids.financeAdmin}`;
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['POST', '/validate', {}],
      ['PATCH', '', { protocol: 'ews' }],
      ['DELETE', '', undefined],
    ] as const) {
      const res = await as('mallory', method, `${path}${suffix}`, body);
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    expect((await as('frank', 'GET', `/endpoints/${ids.legacy}`)).status).toBe(404);
  });

  it("lets an Agent see the workgroup's endpoints but not check or delete them", async () => {
    expect((await as('agnes', 'GET', `/endpoints/${ids.mine}`)).status).toBe(200);
    const check = await as('agnes', 'POST', `/endpoints/${ids.mine}/validate`, {});
    expect(check.status).toBe(403);
    expect(check.json.detail).toMatch(/Manager or Owner/);
    expect((await as('agnes', 'DELETE', `/endpoints/${ids.mine}`)).status).toBe(403);
  });

  it("does not let a project use another workgroup's endpoint, at creation or by an edit", async () => {
    const borrow = await as('mallory', 'POST', '/projects', {
      name: 'Borrowed admin',
      sourceEndpointId: ids.financeAdmin,
      destinationEndpointId: ids.mine,
    });
    expect(borrow.status).toBe(400);
    expect(borrow.json).toMatchObject({ field: 'sourceEndpointId' });
    expect(borrow.json.detail).toMatch(/a project uses only endpoints of its own workgroup/);
    const project = await as('mallory', 'POST', '/projects', {
      name: 'Own',
      sourceEndpointId: ids.legacy,
      destinationEndpointId: ids.mine,
    });
    expect(project.status).toBe(201);
    const repoint = await as('mallory', 'PATCH', `/projects/${project.json.id}`, { destinationEndpointId: ids.financeAdmin });
    expect(repoint.status).toBe(400);
    expect(repoint.json.field).toBe('destinationEndpointId');
    expect((await as('mallory', 'PATCH', `/projects/${project.json.id}`, { name: 'Own, renamed' })).status).toBe(200);
  });

  it('keeps the local admin of the embedded host able to use every endpoint of its tenant', async () => {
    const { services } = api.runtime;
    const endpoint = await services.projects.createEndpoint(LOCAL_TENANT, {
      ...IMAP('Local'),
      security: 'tls',
      allowSelfSigned: false,
      adminMode: 'none',
      authMechanism: 'password',
      domains: [],
    } as never);
    const project = await services.projects.createProject(LOCAL_TENANT, {
      name: 'Local project',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
      options: [],
      maxConcurrentMigrations: 1,
    });
    expect(project.workgroupId).toBeUndefined();
  });
});
