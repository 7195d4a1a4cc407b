import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntraApi, type EntraApi } from '../support/entra-api.js';
import { list, text } from '../support/json-answer.js';

const TENANT = 'cccccccc-0000-4000-8000-000000000003';

/** Issue 10 #3: a Manager must not be able to take a project into a workgroup of their own. */
describe('a project stays in the workgroup it was created in (over real HTTP)', () => {
  let api: EntraApi;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const as = (who: string, method: string, path: string, body?: unknown) => api.call(tokens[who], method, path, body);

  beforeAll(async () => {
    api = await startEntraApi({ allowedTenants: [TENANT], tenantOwners: new Map([[TENANT, ['olivia-oid']]]) });
    tokens.olivia = await api.issuer.mint({ tid: TENANT, oid: 'olivia-oid', name: 'Olivia (Owner)' });
    tokens.mallory = await api.issuer.mint({ tid: TENANT, oid: 'mallory-oid', name: 'Mallory (Manager)' });
    ids.default = text((await as('olivia', 'GET', '/api/v1/workgroups')).json.items[0].id);
    await as('olivia', 'PUT', `/api/v1/workgroups/${ids.default}/members`, {
      members: [
        { userId: 'olivia-oid', role: 'Owner' },
        { userId: 'mallory-oid', role: 'Manager' },
      ],
    });
    ids.finance = text((await as('olivia', 'POST', '/api/v1/workgroups', { name: 'Finance' })).json.id);
    await as('olivia', 'PUT', `/api/v1/workgroups/${ids.finance}/members`, {
      members: [
        { userId: 'olivia-oid', role: 'Owner' },
        { userId: 'mallory-oid', role: 'Agent' },
      ],
    });
    ids.hr = text((await as('olivia', 'POST', '/api/v1/workgroups', { name: 'HR' })).json.id);
    ids.mallorys = text((await as('mallory', 'POST', '/api/v1/workgroups', { name: "Mallory's own" })).json.id);
    const endpoint = await as('olivia', 'POST', '/api/v1/endpoints', { name: 'IMAP', kind: 'imap', host: 'imap.test' });
    ids.endpoint = text(endpoint.json.id);
    const project = await as('olivia', 'POST', '/api/v1/projects', {
      name: 'Payroll',
      sourceEndpointId: ids.endpoint,
      destinationEndpointId: ids.endpoint,
    });
    ids.project = text(project.json.id);
  });
  afterAll(() => api?.close());

  it('set up: the project is in Default, where Mallory is a Manager', async () => {
    expect(ids.default && ids.finance && ids.mallorys && ids.project).toBeTruthy();
    expect((await as('mallory', 'GET', `/api/v1/projects/${ids.project}`)).json.workgroupId).toBe(ids.default);
  });

  it('refuses a PATCH that names a workgroup, and keeps the project where it was', async () => {
    const res = await as('mallory', 'PATCH', `/api/v1/projects/${ids.project}`, { workgroupId: ids.mallorys });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe('workgroupId');
    expect((await as('olivia', 'GET', `/api/v1/projects/${ids.project}`)).json.workgroupId).toBe(ids.default);
  });

  it('ignores a workgroupId slipped into the sharing body', async () => {
    const res = await as('mallory', 'PUT', `/api/v1/projects/${ids.project}/sharing`, { sharedWith: [], workgroupId: ids.mallorys });
    expect(res.status).toBe(200);
    expect(res.json.workgroupId).toBe(ids.default);
    expect((await as('olivia', 'GET', `/api/v1/projects/${ids.project}`)).json.workgroupId).toBe(ids.default);
  });

  it('does not create a project in a workgroup the caller does not manage, nor in one that does not exist', async () => {
    const foreign = await as('mallory', 'POST', '/api/v1/projects', {
      name: 'Into Finance',
      workgroupId: ids.finance,
      sourceEndpointId: ids.endpoint,
      destinationEndpointId: ids.endpoint,
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.detail).toMatch(/Manager or Owner/);
    const notMine = await as('mallory', 'POST', '/api/v1/projects', {
      name: 'Into HR',
      workgroupId: ids.hr,
      sourceEndpointId: ids.endpoint,
      destinationEndpointId: ids.endpoint,
    });
    expect(notMine.status).toBe(404);
    const missing = await as('olivia', 'POST', '/api/v1/projects', {
      name: 'Nowhere',
      workgroupId: 'no-such-workgroup',
      sourceEndpointId: ids.endpoint,
      destinationEndpointId: ids.endpoint,
    });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ field: 'workgroupId' });
    expect(missing.json.detail).toMatch(/No workgroup with id no-such-workgroup that you belong to/);
    const names = list((await as('olivia', 'GET', '/api/v1/projects')).json.items).map((p) => p.name);
    expect(names).toEqual(['Payroll']);
  });

  it('creates a project in a workgroup the caller owns', async () => {
    const endpoint = (
      await as('mallory', 'POST', '/api/v1/endpoints', { name: 'Her IMAP', kind: 'imap', host: 'her.test', workgroupId: ids.mallorys })
    ).json.id;
    const own = await as('mallory', 'POST', '/api/v1/projects', {
      name: 'Mine',
      workgroupId: ids.mallorys,
      sourceEndpointId: endpoint,
      destinationEndpointId: endpoint,
    });
    expect(own.status).toBe(201);
    expect(own.json.workgroupId).toBe(ids.mallorys);
  });
});
