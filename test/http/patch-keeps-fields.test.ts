import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { text } from '../support/json-answer.js';

/** Issue 10 #4: a PATCH changes exactly the fields it names; every other field stays as it was. */
describe('a partial update changes only the fields it names', () => {
  let api: LocalApi;
  let projectId: string;
  let itemId: string;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);

  beforeAll(async () => {
    api = await startLocalApi('patch');
    const endpoint = await call('POST', '/endpoints', {
      name: 'Source',
      kind: 'imap',
      host: 'imap.contoso.test',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: 'Pa55word!',
    });
    const project = await call('POST', '/projects', {
      name: 'Legal',
      sourceEndpointId: endpoint.json.id,
      destinationEndpointId: endpoint.json.id,
      options: ['FolderFilter=^Legal Hold', 'RecipientMapping="@a.test->@b.test"'],
      maxConcurrentMigrations: 12,
    });
    projectId = text(project.json.id);
    const item = await call('POST', `/projects/${projectId}/items`, {
      sourceAddress: 'u1@a.test',
      destinationAddress: 'u1@b.test',
      options: ['FolderFilter=^Archive'],
    });
    itemId = text(item.json.id);
  });

  afterAll(() => api.close());

  it('saving the Teams webhook keeps the project options and its concurrency', async () => {
    const saved = await call('PATCH', `/projects/${projectId}`, { teamsWebhookUrl: 'https://prod.workflows.test/hook/1' });
    expect(saved.status).toBe(200);
    const after = (await call('GET', `/projects/${projectId}`)).json;
    expect(after.options).toEqual(['FolderFilter=^Legal Hold', 'RecipientMapping="@a.test->@b.test"']);
    expect(after.maxConcurrentMigrations).toBe(12);
    expect(after.name).toBe('Legal');
  });

  it('renaming a project keeps its options, concurrency and webhook', async () => {
    await call('PATCH', `/projects/${projectId}`, { name: 'Legal (wave 2)' });
    const after = (await call('GET', `/projects/${projectId}`)).json;
    expect(after).toMatchObject({ name: 'Legal (wave 2)', maxConcurrentMigrations: 12, hasTeamsWebhook: true });
    expect(after.options).toHaveLength(2);
  });

  it('an empty patch changes nothing', async () => {
    const before = (await call('GET', `/projects/${projectId}`)).json;
    expect((await call('PATCH', `/projects/${projectId}`, {})).status).toBe(200);
    const { version: _before, ...unchanged } = before;
    expect((await call('GET', `/projects/${projectId}`)).json).toMatchObject(unchanged);
  });

  it('setting an item password keeps the item options', async () => {
    const saved = await call('PATCH', `/items/${itemId}`, { sourceLogin: 'u1', sourcePassword: 'N3w-Pa55' });
    expect(saved.status).toBe(200);
    const after = (await call('GET', `/items/${itemId}`)).json;
    expect(after.options).toEqual(['FolderFilter=^Archive']);
    expect(after.destinationAddress).toBe('u1@b.test');
  });

  it('changing the destination address keeps the item login and options', async () => {
    await call('PATCH', `/items/${itemId}`, { destinationAddress: 'u1-new@b.test' });
    const after = (await call('GET', `/items/${itemId}`)).json;
    expect(after).toMatchObject({ destinationAddress: 'u1-new@b.test', sourceLogin: 'u1', options: ['FolderFilter=^Archive'] });
  });

  it('a project cannot be moved to another workgroup by a patch', async () => {
    const before = (await call('GET', `/projects/${projectId}`)).json;
    const moved = await call('PATCH', `/projects/${projectId}`, { workgroupId: 'someone-elses-workgroup' });
    expect(moved.status).toBe(400);
    expect(moved.json).toMatchObject({ field: 'workgroupId' });
    expect(moved.json.detail).toMatch(/cannot be moved to another workgroup/);
    expect((await call('GET', `/projects/${projectId}`)).json.workgroupId).toBe(before.workgroupId);
  });
});
