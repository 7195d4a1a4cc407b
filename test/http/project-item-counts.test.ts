/**
 * The Projects list says how far each project is (issue 14, "what an admin expects next": item
 * counts per project in the Projects list).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { list, text } from '../support/json-answer.js';

describe('GET /projects', () => {
  let api: LocalApi;
  beforeAll(async () => {
    api = await startLocalApi('project-item-counts');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('gives each project its item counts: in all, completed, with errors, failed', async () => {
    const endpoint = (name: string) =>
      api.call('POST', '/endpoints', {
        name,
        kind: 'imap',
        host: 'imap.contoso.test',
        security: 'tls',
        adminMode: 'none',
        authMechanism: 'password',
      });
    const [src, dst] = [(await endpoint('Src')).json, (await endpoint('Dst')).json];
    const busy = (await api.call('POST', '/projects', { name: 'Busy', sourceEndpointId: src.id, destinationEndpointId: dst.id })).json;
    await api.call('POST', '/projects', { name: 'Empty', sourceEndpointId: src.id, destinationEndpointId: dst.id });
    const added = await api.call('POST', `/projects/${busy.id}/items/bulk`, {
      csv: 'Source Email,Destination Email\na@s.test,a@d.test\nb@s.test,b@d.test\nc@s.test,c@d.test\n',
    });
    expect(added.status).toBe(201);
    // Two items end their passes (set in the store: the statuses are what a pass leaves).
    const { items } = await api.runtime.store.items.list(LOCAL_TENANT, { where: { projectId: text(busy.id) } });
    await api.runtime.store.items.replace({ ...items[0]!, status: 'Completed' });
    await api.runtime.store.items.replace({ ...items[1]!, status: 'Failed' });

    const { json } = await api.call('GET', '/projects');
    const byName = Object.fromEntries(list(json.items).map((p) => [text(p.name), p.itemCounts]));
    expect(byName).toEqual({
      Busy: { total: 3, completed: 1, completedWithErrors: 0, failed: 1 },
      Empty: { total: 0, completed: 0, completedWithErrors: 0, failed: 0 },
    });
  });
});
