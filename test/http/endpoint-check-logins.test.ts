/**
 * "Save and Go to Summary" with logins that are not addresses (issue 14, "what an admin expects
 * next": `src1` everywhere a login is asked; a test login and password when the endpoint has no
 * admin access). Real Dovecot with a user named `src1` and a master user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { list, text, type Json } from '../support/json-answer.js';

describe('endpoint checks with login names', () => {
  let api: LocalApi;
  let dovecot: DovecotServer;
  beforeAll(async () => {
    [api, dovecot] = await Promise.all([startLocalApi('endpoint-check-logins'), startDovecot({ users: { src1: 'src1-pw' } })]);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), dovecot?.stop()]);
  });

  const imap = async (admin: Record<string, string>) =>
    (
      await api.call('POST', '/endpoints', {
        name: `IMAP ${admin.adminMode}`,
        kind: 'imap',
        host: dovecot.host,
        port: dovecot.port,
        security: 'none',
        ...admin,
      })
    ).json;
  const loginCheck = (result: Json) => list(result.checks).find((c) => /login/i.test(text(c.check)) && text(c.check) !== 'Login method');

  it('takes an IMAP test mailbox by its login and opens it as the master user', async () => {
    const endpoint = await imap({ adminMode: 'plain-authzid', adminLogin: dovecot.masterUser, adminPassword: dovecot.masterPassword });
    const { status, json } = await api.call('POST', `/endpoints/${endpoint.id}/validate`, { testMailbox: 'src1' });
    expect(status).toBe(200);
    expect(loginCheck(json)).toMatchObject({ status: 'ok', detail: 'Logged in to src1.' });
  });

  it('checks an endpoint without admin access with a test login and password', async () => {
    const endpoint = await imap({ adminMode: 'none' });
    const { json } = await api.call('POST', `/endpoints/${endpoint.id}/validate`, { testLogin: 'src1', testPassword: 'src1-pw' });
    expect(loginCheck(json)).toMatchObject({ check: 'User login', status: 'ok' });
    const { json: wrong } = await api.call('POST', `/endpoints/${endpoint.id}/validate`, { testLogin: 'src1', testPassword: 'nope' });
    expect(loginCheck(wrong)).toMatchObject({ check: 'User login', status: 'failed' });
  });

  it('asks for an address on Exchange, under the test mailbox field', async () => {
    const { json: endpoint } = await api.call('POST', '/endpoints', {
      name: 'Exchange',
      kind: 'exchange',
      host: 'https://mail.contoso.test/owa',
      adminMode: 'delegation',
      adminLogin: 'admin@contoso.test',
      adminPassword: 'pw',
    });
    const { status, json } = await api.call('POST', `/endpoints/${endpoint.id}/validate`, { testMailbox: 'src1' });
    expect(status).toBe(400);
    expect(json.errors ?? [{ field: json.field, message: json.detail }]).toEqual([
      expect.objectContaining({ field: 'testMailbox', message: expect.stringMatching(/^Give the test mailbox as an e-mail address/) }),
    ]);
  });
});
