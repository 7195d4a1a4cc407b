import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { list, text } from '../support/json-answer.js';

/** Issue 14 #1: Bulk Add and Edit item can make an item "Waiting For End User". */
describe('end-user items from Bulk Add and Edit item', () => {
  let api: LocalApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  async function project(endpoint: Record<string, unknown>) {
    const created = await call('POST', '/endpoints', { name: 'Source', kind: 'imap', host: 'imap.contoso.test', ...endpoint });
    return text(
      (await call('POST', '/projects', { name: 'P', sourceEndpointId: created.json.id, destinationEndpointId: created.json.id })).json.id,
    );
  }
  const items = async (projectId: string) =>
    Object.fromEntries(list((await call('GET', `/projects/${projectId}/items`)).json.items).map((i) => [text(i.sourceAddress), i]));

  beforeAll(async () => {
    api = await startLocalApi('end-user-items');
  });
  afterAll(() => api.close());

  it('reads an "End User Confirms Password" column and names a cell that is neither yes nor no', async () => {
    const projectId = await project({ adminMode: 'login-star', adminLogin: 'admin', adminPassword: 'Adm1n!' });
    const csv =
      'Source Email,Destination Email,End User Confirms Password\na@src.test,a@dst.test,Yes\nb@src.test,b@dst.test,\nc@src.test,c@dst.test,maybe\n';
    const report = await call('POST', `/projects/${projectId}/items/bulk`, csv);
    expect(report.status).toBe(207);
    expect(report.json.added).toBe(2);
    expect(report.json.problems).toEqual([
      expect.objectContaining({ line: 4, column: 'End User Confirms Password', message: expect.stringMatching(/neither Yes nor No/) }),
    ]);
    const byAddress = await items(projectId);
    expect(byAddress['a@src.test']).toMatchObject({ endUserCredentials: true });
    expect(byAddress['b@src.test'].endUserCredentials).toBeFalsy();

    const started = await call('POST', `/projects/${projectId}/passes`, { kind: 'verify' });
    expect(started.status).toBe(202);
    const after = await items(projectId);
    expect(after['a@src.test']).toMatchObject({ status: 'Waiting For End User' });
    expect(after['b@src.test']).toMatchObject({ status: 'Queued' });
  });

  it('lets Edit item turn on end-user credentials', async () => {
    const projectId = await project({ adminMode: 'login-star', adminLogin: 'admin', adminPassword: 'Adm1n!' });
    const item = (await call('POST', `/projects/${projectId}/items`, { sourceAddress: 'd@src.test', destinationAddress: 'd@dst.test' }))
      .json;
    const patched = await call('PATCH', `/items/${item.id}`, { endUserCredentials: true });
    expect(patched.json).toMatchObject({ endUserCredentials: true });
  });

  it('sends an item without a password to its end user when the source has no admin login, instead of failing it', async () => {
    const projectId = await project({ adminMode: 'none' });
    await call('POST', `/projects/${projectId}/items`, { sourceAddress: 'e@src.test', destinationAddress: 'e@dst.test' });
    await call('POST', `/projects/${projectId}/items`, {
      sourceAddress: 'f@src.test',
      destinationAddress: 'f@dst.test',
      sourceLogin: 'f',
      sourcePassword: 'F-pa55',
    });
    await call('POST', `/projects/${projectId}/passes`, { kind: 'verify' });
    const after = await items(projectId);
    expect(after['e@src.test']).toMatchObject({ status: 'Waiting For End User' });
    expect(after['f@src.test']).toMatchObject({ status: 'Queued' });
  });
});
