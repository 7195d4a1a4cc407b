import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../api/http/router.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { rawRequest } from './raw-http.js';

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };
const PUBLIC_URL = 'https://migrate.contoso.test';
const LINK = /https:\/\/migrate\.contoso\.test\/end-user\/credentials#token=[A-Za-z0-9._-]+/;

/**
 * Issue 10 #10: a link's token is the end user's credential, and request logs (the host's, a
 * reverse proxy's, Application Insights') record URLs. So the token lives in the link's fragment,
 * which browsers never send, and the page hands it to the API in a POST body, never in a path.
 */
describe('the end-user link token never travels in a URL', () => {
  let runtime: EmbeddedRuntime;
  let server: Server;
  let base: string;
  let dataDir: string;
  let link: URL;
  let token: string;

  const api = (method: string, path: string, body?: unknown) =>
    rawRequest(
      base,
      method,
      `/api/v1${path}`,
      body === undefined ? {} : { 'content-type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-link-'));
    runtime = await EmbeddedRuntime.open({ dataDir, log: QUIET, publicBaseUrl: PUBLIC_URL });
    ({ server, url: base } = await startHttpServer(runtime.services, { port: 0, log: QUIET }));
    const endpoint = await api('POST', '/endpoints', { name: 'Old IMAP', kind: 'imap', host: 'imap.contoso.test', adminMode: 'none' });
    const project = await api('POST', '/projects', {
      name: 'Wave 1',
      sourceEndpointId: endpoint.json.id,
      destinationEndpointId: endpoint.json.id,
    });
    await api('POST', `/projects/${project.json.id}/items`, {
      sourceAddress: 'erin@contoso.test',
      destinationAddress: 'erin@fabrikam.test',
      endUserCredentials: true,
    });
    const started = await api('POST', `/projects/${project.json.id}/passes`, { kind: 'full' });
    expect(started.json.credentialRequests).toMatchObject({ sent: 1 });
    const outbox = join(dataDir, 'outbox');
    const mail = readFileSync(join(outbox, readdirSync(outbox)[0]!), 'utf8');
    link = new URL(LINK.exec(mail)![0]);
    token = new URLSearchParams(link.hash.slice(1)).get('token')!;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('mails a link whose token is only in the fragment, which no browser sends to a server', () => {
    expect(token.length).toBeGreaterThan(20);
    expect(link.pathname + link.search).toBe('/end-user/credentials');
  });

  it('has no API route that takes the token in its path', () => {
    const withToken = allRoutes().filter((route) => /token/i.test(route.path));
    expect(withToken.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('answers the page with the token in a POST body, never cached', async () => {
    const view = await api('POST', '/end-user/request', { token });
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({
      sourceAddress: 'erin@contoso.test',
      destinationAddress: 'erin@fabrikam.test',
      projectName: 'Wave 1',
      attemptsLeft: 5,
    });
    expect(view.headers['cache-control']).toBe('no-store');
    expect(view.headers['referrer-policy']).toBe('no-referrer');
  });

  it('no longer serves the token-in-the-path form of either call', async () => {
    expect((await api('GET', `/end-user/requests/${token}`)).status).toBe(404);
    expect((await api('POST', `/end-user/requests/${token}/credentials`, { password: 'x' })).status).toBe(404);
  });

  it('says what is missing when the body has no token', async () => {
    const missing = await api('POST', '/end-user/request', {});
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ field: 'token' });
    const noPassword = await api('POST', '/end-user/credentials', { token });
    expect(noPassword.status).toBe(400);
    expect(noPassword.json.field).toBe('password');
  });
});
