import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { text } from '../support/json-answer.js';

/** Issue 14 #2: an endpoint can be edited (secrets left out keep the stored ones) and deleted once no project uses it. */
describe('Edit endpoint and Delete endpoint', () => {
  let api: LocalApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  const storedAdminPassword = async (id: string) => {
    const { store, vault } = api.runtime.services.deps;
    const doc = await store.endpoints.get(LOCAL_TENANT, id);
    return doc?.adminSecretRef ? vault.get(LOCAL_TENANT, doc.adminSecretRef) : undefined;
  };
  const imap = (name: string, extra: Record<string, unknown> = {}) =>
    call('POST', '/endpoints', {
      name,
      kind: 'imap',
      host: 'imap.contoso.test',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: 'Old-Pa55',
      ...extra,
    });

  beforeAll(async () => {
    api = await startLocalApi('endpoint-edit');
  });
  afterAll(() => api.close());

  it('changes the fields sent, keeps the stored admin password when none is typed, and never returns it', async () => {
    const { json: created } = await imap('Old IMAP', { port: 10993, domains: ['contoso.test'] });
    const saved = await call('PATCH', `/endpoints/${created.id}`, { name: 'Old IMAP (Dovecot)', adminLogin: 'migration-admin' });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({
      name: 'Old IMAP (Dovecot)',
      adminLogin: 'migration-admin',
      host: 'imap.contoso.test',
      port: 10993,
      hasAdminPassword: true,
      domains: ['contoso.test'],
    });
    expect(JSON.stringify(saved.json)).not.toContain('Old-Pa55');
    expect(await storedAdminPassword(text(created.id))).toBe('Old-Pa55');
  });

  it('a typed password replaces the stored one; port null goes back to the default port', async () => {
    const { json: created } = await imap('Replace', { port: 10993 });
    const saved = await call('PATCH', `/endpoints/${created.id}`, { adminPassword: 'New-Pa55', port: null });
    expect(saved.status).toBe(200);
    expect(saved.json.port).toBeUndefined();
    expect(await storedAdminPassword(text(created.id))).toBe('New-Pa55');
  });

  it('a new host asks for the admin password again rather than send the stored one there', async () => {
    const { json: created } = await imap('Moving');
    const refused = await call('PATCH', `/endpoints/${created.id}`, { host: 'imap.attacker.test' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ field: 'adminPassword' });
    expect(refused.json.detail).toMatch(/type the admin password again/);
    const moved = await call('PATCH', `/endpoints/${created.id}`, { host: 'imap2.contoso.test', adminPassword: 'Moved-Pa55' });
    expect(moved.json).toMatchObject({ host: 'imap2.contoso.test', hasAdminPassword: true });
  });

  it('the edited endpoint is checked as a whole, as a new one is', async () => {
    const { json: created } = await call('POST', '/endpoints', { name: 'No admin', kind: 'imap', host: 'imap.contoso.test' });
    const refused = await call('PATCH', `/endpoints/${created.id}`, { adminMode: 'plain-authzid' });
    expect(refused.status).toBe(400);
    expect(refused.json.field).toBe('adminLogin');
    const kind = await call('PATCH', `/endpoints/${created.id}`, { kind: 'exchange' });
    expect(kind.status).toBe(400);
    expect(kind.json.detail).toMatch(/keeps its kind/);
    expect((await call('GET', `/endpoints/${created.id}`)).json).toMatchObject({ adminMode: 'none', kind: 'imap' });
  });

  it('dropping admin access deletes the stored admin password', async () => {
    const { json: created } = await imap('Drop admin');
    const saved = await call('PATCH', `/endpoints/${created.id}`, { adminMode: 'none' });
    expect(saved.json).toMatchObject({ adminMode: 'none', hasAdminPassword: false });
    expect(saved.json.adminLogin).toBeUndefined();
  });

  it('a new host is refused while items hold passwords typed for the old one, naming the project', async () => {
    const { json: source } = await call('POST', '/endpoints', { name: 'Users log in', kind: 'imap', host: 'imap.users.test' });
    const { json: destination } = await imap('Destination');
    const { json: project } = await call('POST', '/projects', {
      name: 'Wave 1',
      sourceEndpointId: source.id,
      destinationEndpointId: destination.id,
    });
    await call('POST', `/projects/${project.id}/items`, {
      sourceAddress: 'a@users.test',
      destinationAddress: 'a@contoso.test',
      sourcePassword: 'users-own',
    });
    const refused = await call('PATCH', `/endpoints/${source.id}`, { host: 'imap.elsewhere.test' });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toMatch(/1 item in "Wave 1" holds a password typed for this server/);
    expect((await call('PATCH', `/endpoints/${source.id}`, { name: 'Users log in (renamed)' })).status).toBe(200);
  });

  it('an Exchange Online endpoint still switches between Graph and EWS, keeping its app secret', async () => {
    const { json: created } = await call('POST', '/endpoints', {
      name: 'Microsoft 365',
      kind: 'm365',
      authMechanism: 'oauth-app',
      appClientId: '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      appTenantId: 'contoso.onmicrosoft.com',
      appClientSecret: 'app-secret',
    });
    expect((await call('PATCH', `/endpoints/${created.id}`, { protocol: 'ews' })).json).toMatchObject({
      protocol: 'ews',
      hasAppSecret: true,
    });
    expect((await call('PATCH', `/endpoints/${created.id}`, { protocol: 'graph' })).json).toMatchObject({
      protocol: 'graph',
      hasAppSecret: true,
    });
  });

  it('delete is refused while projects use the endpoint, naming every one of them', async () => {
    const { json: shared } = await imap('Shared');
    const { json: other } = await imap('Other');
    for (const name of ['Contoso', 'Fabrikam'])
      await call('POST', '/projects', { name, sourceEndpointId: shared.id, destinationEndpointId: other.id });
    const refused = await call('DELETE', `/endpoints/${shared.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toBe(
      'Endpoint "Shared" is used by 2 projects: "Contoso", "Fabrikam": point those projects at another endpoint or delete them first.',
    );
    const { json: unused } = await imap('Unused');
    expect((await call('DELETE', `/endpoints/${unused.id}`)).status).toBe(204);
    expect((await call('GET', `/endpoints/${unused.id}`)).status).toBe(404);
  });
});
