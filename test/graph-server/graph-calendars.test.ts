/**
 * The Graph test server's calendar sharing routes through an independent client (fetch):
 * calendars and calendarPermissions bodies checked against the v1.0 CSDL (an unknown property or a
 * role outside calendarRoleType is a 400), Calendars.ReadWrite needed to write, the fixed entries
 * (My Organization, Anonymous) updated only, only `role` updatable, unknown users refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION, startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { appToken, graphClient, type TestGraphClient } from './graph-client.js';

const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';
const FULL = { clientId: '11111111-aaaa-4bbb-8ccc-000000000011', secret: 'full-secret' };
const READER = {
  clientId: '11111111-aaaa-4bbb-8ccc-000000000012',
  secret: 'reader-secret',
  permissions: [PERMISSION.userRead, PERMISSION.calendarsRead],
};

interface Permission {
  id: string;
  role: string;
  emailAddress: { name: string; address?: string };
}

describe('Graph test server calendar permissions', () => {
  let server: GraphTestServer;
  let full: TestGraphClient;
  let reader: TestGraphClient;
  beforeAll(async () => {
    server = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE, BOB], apps: [FULL, READER] });
    full = graphClient(server, await appToken(server, FULL.clientId, FULL.secret));
    reader = graphClient(server, await appToken(server, READER.clientId, READER.secret));
  });
  afterAll(async () => {
    await server?.close();
  });
  const base = `/v1.0/users/${ALICE}/calendar/calendarPermissions`;

  it('lists calendars and the two fixed entries; shares with a user; updates a role; refuses what Graph refuses', async () => {
    const calendars = await full.call<{ value: { id: string; name: string; isDefaultCalendar: boolean }[] }>(
      `/v1.0/users/${ALICE}/calendars`,
    );
    expect(calendars.body.value).toEqual([expect.objectContaining({ name: 'Calendar', isDefaultCalendar: true })]);
    const listed = await full.call<{ value: Permission[] }>(base);
    expect(listed.body.value.map((p) => [p.emailAddress.name, p.role])).toEqual([
      ['My Organization', 'freeBusyRead'],
      ['Anonymous', 'none'],
    ]);

    const created = await full.call<Permission>(base, { body: { emailAddress: { address: BOB }, role: 'read' } });
    expect(created.status).toBe(201);
    const patched = await full.call<Permission>(`${base}/${created.body.id}`, { method: 'PATCH', body: { role: 'write' } });
    expect(patched.body.role).toBe('write');
    const org = listed.body.value[0]!;
    expect((await full.call(`${base}/${org.id}`, { method: 'PATCH', body: { role: 'limitedRead' } })).status).toBe(200);
    expect((await full.call(base, { body: { emailAddress: { name: 'My Organization' }, role: 'read' } })).status).toBe(400);
    expect((await full.call(`${base}/${org.id}`, { method: 'PATCH', body: { role: 'delegateWithPrivateEventAccess' } })).status).toBe(400);
    expect((await full.call(`${base}/${created.body.id}`, { method: 'PATCH', body: { isRemovable: false } })).status).toBe(400);
    expect((await full.call(base, { body: { emailAddress: { address: 'ghost@contoso.com' }, role: 'read' } })).status).toBe(400);
    expect((await full.call(base, { body: { emailAddress: { address: BOB }, role: 'read' } })).status).toBe(409);
    const badRole = await full.call<{ error: { code: string } }>(base, { body: { emailAddress: { address: BOB }, role: 'owner' } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.code).toBe('RequestBodyRead');
    expect((await full.call(base, { body: { emailAddress: { address: BOB }, role: 'read', shareWith: 'x' } })).status).toBe(400);
    expect(server.validation.requestFailures.length).toBe(2);
    expect(server.validation.responseFailures).toEqual([]);
  });

  it('reading takes Calendars.Read; writing Calendars.ReadWrite, named in the 403', async () => {
    expect((await reader.call(base)).status).toBe(200);
    const refused = await reader.call<{ error: { code: string; message: string } }>(base, {
      body: { emailAddress: { address: BOB }, role: 'read' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('Calendars.ReadWrite');
  });
});
