import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EntraAuthenticator } from '../../api/http/auth/entra-authenticator.js';
import { allRoutes } from '../../api/http/router.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';

const TENANT_A = '11111111-1111-1111-1111-111111111111';
const TENANT_B = '22222222-2222-2222-2222-222222222222';
const SECRETS = ['Admin-Pa55word-A', 'Item-Pa55word-A', 'Admin-Pa55word-B'];

describe('sign-in and tenant isolation over real HTTP with Entra-shaped tokens', () => {
  let issuer: TestIssuer;
  let runtime: EmbeddedRuntime;
  let server: Server;
  let base: string;
  let dataDir: string;
  const logged: string[] = [];
  const responses: string[] = [];
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  async function call(who: string | undefined, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (who) headers.authorization = `Bearer ${tokens[who] ?? who}`;
    if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'text/csv' : 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    responses.push(text);
    return {
      status: res.status,
      json: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined,
      text,
    };
  }

  beforeAll(async () => {
    for (const method of ['log', 'warn', 'error', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    }
    issuer = await startTestIssuer();
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-tenancy-'));
    runtime = await EmbeddedRuntime.open({
      dataDir,
      tenantOwners: new Map([
        [TENANT_A, ['alice-oid']],
        [TENANT_B, ['bob-oid']],
      ]),
      log: {
        info: (m, f) => console.log(m, JSON.stringify(f)),
        warn: (m, f) => console.warn(m, JSON.stringify(f)),
        error: (m, f) => console.error(m, JSON.stringify(f)),
      },
    });
    const authenticator = new EntraAuthenticator({
      audiences: [TEST_AUDIENCE],
      jwksUri: issuer.jwksUri,
      allowedTenants: [TENANT_A, TENANT_B],
    });
    ({ server, url: base } = await startHttpServer(runtime.services, { port: 0, authenticator }));
    tokens.a = await issuer.mint({ tid: TENANT_A, oid: 'alice-oid', name: 'Alice (A)' });
    tokens.a2 = await issuer.mint({ tid: TENANT_A, oid: 'andy-oid', name: 'Andy (A)' });
    tokens.b = await issuer.mint({ tid: TENANT_B, oid: 'bob-oid', name: 'Bob (B)' });

    const endpoint = await call('a', 'POST', '/api/v1/endpoints', {
      name: 'A source',
      kind: 'imap',
      host: '127.0.0.1',
      port: 1,
      security: 'none',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: SECRETS[0],
    });
    ids.endpointId = endpoint.json.id;
    const project = await call('a', 'POST', '/api/v1/projects', {
      name: 'A project',
      sourceEndpointId: ids.endpointId,
      destinationEndpointId: ids.endpointId,
      options: ['ModernAuthClientSecretExport=hunter2-secret'],
    });
    ids.projectId = project.json.id;
    ids.workgroupId = project.json.workgroupId;
    const item = await call('a', 'POST', `/api/v1/projects/${ids.projectId}/items`, {
      sourceAddress: 'u1@a.test',
      destinationAddress: 'u1@a2.test',
      sourceLogin: 'u1',
      sourcePassword: SECRETS[1],
    });
    ids.itemId = item.json.id;
    const pass = await call('a', 'POST', `/api/v1/projects/${ids.projectId}/passes`, {
      kind: 'verify',
      startAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    ids.passId = pass.json.pass.id;
    await call('b', 'POST', '/api/v1/endpoints', {
      name: 'B endpoint',
      kind: 'imap',
      host: 'b.test',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: SECRETS[2],
    });
  });

  afterAll(async () => {
    server?.close();
    await runtime?.close();
    await issuer?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it('set up tenant A through the API as its configured first Owner, who founded the Default workgroup', async () => {
    expect(ids.projectId && ids.itemId && ids.passId && ids.workgroupId).toBeTruthy();
    const workgroups = await call('a', 'GET', '/api/v1/workgroups');
    expect(workgroups.json.items[0]).toMatchObject({ name: 'Default', members: [{ userId: 'alice-oid', role: 'Owner' }] });
  });

  it('gives tenant B a 404 on every route that names a tenant A record, whatever the method', async () => {
    const withParams = allRoutes().filter((r) => !('public' in r.access) && r.path.includes(':'));
    expect(withParams.length).toBeGreaterThan(15);
    for (const route of withParams) {
      const path = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => ids[name] ?? `missing-${name}`);
      const res = await call('b', route.method, path, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      expect(res.status, `${route.method} ${route.path}`).toBe(404);
    }
  });

  it('never lists a tenant A record to tenant B', async () => {
    for (const path of ['/api/v1/endpoints', '/api/v1/projects', '/api/v1/workgroups']) {
      const res = await call('b', 'GET', path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(ids.endpointId);
      expect(res.text).not.toContain(ids.projectId);
      expect(res.text).not.toContain(ids.workgroupId);
    }
    const a = await call('a', 'GET', '/api/v1/endpoints');
    expect(a.json.items.map((e: { name: string }) => e.name)).toEqual(['A source']);
  });

  it("leaves tenant A unchanged after all of tenant B's attempts", async () => {
    const project = await call('a', 'GET', `/api/v1/projects/${ids.projectId}`);
    expect(project.json).toMatchObject({ name: 'A project', version: 1 });
    const item = await call('a', 'GET', `/api/v1/items/${ids.itemId}`);
    expect(item.json).toMatchObject({ sourceAddress: 'u1@a.test', status: 'Submitted' });
    const pass = await call('a', 'GET', `/api/v1/passes/${ids.passId}`);
    expect(pass.json.status).toBe('running');
  });

  it('rejects missing, forged, expired, wrong-audience, wrong-issuer and foreign-tenant tokens with 401', async () => {
    const cases: [string, string | undefined][] = [
      ['no token', undefined],
      ['garbage', 'not-a-jwt'],
      ['forged', await issuer.mint({ tid: TENANT_A, oid: 'alice-oid' }, { key: 'forged' })],
      ['expired', await issuer.mint({ tid: TENANT_A, oid: 'alice-oid', exp: Math.floor(Date.now() / 1000) - 3_600 }, { expiresIn: '-1h' })],
      ['wrong audience', await issuer.mint({ tid: TENANT_A, oid: 'alice-oid' }, { audience: 'api://someone-else' })],
      [
        'issuer of another tenant',
        await issuer.mint({ tid: TENANT_A, oid: 'alice-oid' }, { issuer: `https://login.microsoftonline.com/${TENANT_B}/v2.0` }),
      ],
      ['tenant not allowed', await issuer.mint({ tid: '33333333-3333-3333-3333-333333333333', oid: 'eve-oid' })],
      [
        'unsigned (alg none)',
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ tid: TENANT_A, oid: 'alice-oid', aud: TEST_AUDIENCE, iss: `https://login.microsoftonline.com/${TENANT_A}/v2.0`, exp: 9_999_999_999 })).toString('base64url')}.`,
      ],
    ];
    for (const [label, token] of cases) {
      const res = await call(token, 'GET', '/api/v1/projects');
      expect(res.status, label).toBe(401);
      expect(res.json.code, label).toBe('auth');
    }
    expect((await call(undefined, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('lets a tenant A user outside the workgroup see nothing until an Owner gives them a role', async () => {
    expect((await call('a2', 'GET', `/api/v1/projects/${ids.projectId}`)).status).toBe(404);
    const list = await call('a2', 'GET', '/api/v1/projects');
    expect(list.status).toBe(403);
    expect(list.json.detail).toMatch(/ask an Owner to add you/);
    const members = await call('a', 'PUT', `/api/v1/workgroups/${ids.workgroupId}/members`, {
      members: [
        { userId: 'alice-oid', role: 'Owner' },
        { userId: 'andy-oid', role: 'Agent' },
      ],
    });
    expect(members.status).toBe(200);
    expect((await call('a2', 'GET', `/api/v1/projects/${ids.projectId}`)).status).toBe(200);
    const edit = await call('a2', 'PATCH', `/api/v1/projects/${ids.projectId}`, { name: 'Renamed by an agent' });
    expect(edit.status).toBe(403);
    expect(edit.json.detail).toMatch(/edit/);
    expect(
      (await call('a2', 'PUT', `/api/v1/workgroups/${ids.workgroupId}/members`, { members: [{ userId: 'andy-oid', role: 'Owner' }] }))
        .status,
    ).toBe(403);
    expect((await call('a2', 'POST', '/api/v1/endpoints', { name: 'x', kind: 'imap', host: 'x.test' })).status).toBe(403);
  });

  it('lets a project be shared for editing with a user whose role alone would not allow it', async () => {
    const share = await call('a', 'PUT', `/api/v1/projects/${ids.projectId}/sharing`, {
      sharedWith: [{ userId: 'andy-oid', access: 'edit' }],
    });
    expect(share.status).toBe(200);
    const edit = await call('a2', 'PATCH', `/api/v1/projects/${ids.projectId}`, { name: 'Renamed by a shared editor' });
    expect(edit.status).toBe(200);
    expect((await call('a2', 'DELETE', `/api/v1/projects/${ids.projectId}`)).status).toBe(403);
    await call('a', 'PUT', `/api/v1/projects/${ids.projectId}/sharing`, { sharedWith: [{ userId: 'andy-oid', access: 'view' }] });
    expect((await call('a2', 'PATCH', `/api/v1/projects/${ids.projectId}`, { name: 'again' })).status).toBe(403);
    // Inactive switches a member off entirely: a share does not bring them back.
    await call('a', 'PUT', `/api/v1/workgroups/${ids.workgroupId}/members`, {
      members: [
        { userId: 'alice-oid', role: 'Owner' },
        { userId: 'andy-oid', role: 'Inactive' },
      ],
    });
    expect((await call('a2', 'GET', `/api/v1/projects/${ids.projectId}`)).status).toBe(404);
  });

  it('never put a secret in any response or log line', () => {
    expect(responses.length).toBeGreaterThan(25);
    const everything = [...responses, ...logged].join('\n');
    for (const secret of [...SECRETS, 'hunter2-secret']) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/"(adminSecretRef|sourceSecretRef|destinationSecretRef)"/);
  });
});
