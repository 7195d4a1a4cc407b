import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { rawRequest } from './raw-http.js';
import { list } from '../support/json-answer.js';

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };
const PUBLIC_URL = 'https://migrate.contoso.test';
const ENDPOINT = {
  name: 'Attacker IMAP',
  kind: 'imap',
  host: 'imap.evil.test',
  adminMode: 'login-star',
  adminLogin: 'admin',
  adminPassword: 'Pa55word!',
};
const FORM_BODY = 'name=Attacker+IMAP&kind=imap&host=imap.evil.test';

/**
 * Issue 10 #1: the embedded host has no sign-in, so a page the admin visits must not be able to
 * use it, neither under its own name (DNS rebinding) nor by posting to 127.0.0.1 (CSRF), and a
 * reverse proxy for end users must reach the credential page only.
 */
describe('the embedded host answers only its own pages on loopback, and a proxy only reaches the end-user page', () => {
  let runtime: EmbeddedRuntime;
  let admin: Server;
  let endUser: Server;
  let adminUrl: string;
  let endUserUrl: string;
  let dataDir: string;
  let staticDir: string;
  let own: Record<string, string>;

  const endpointNames = async () => list((await rawRequest(adminUrl, 'GET', '/api/v1/endpoints')).json.items).map((e) => e.name);
  const post = (path: string, headers: Record<string, string>, body: string, base = adminUrl) =>
    rawRequest(base, 'POST', path, headers, body);
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-edge-'));
    staticDir = mkdtempSync(join(tmpdir(), 'mailferry-edge-tab-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Mailferry</title>');
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'assets', 'index-abc123.js'), 'console.log("console")');
    runtime = await EmbeddedRuntime.open({ dataDir, log: QUIET, publicBaseUrl: PUBLIC_URL });
    ({ server: admin, url: adminUrl } = await startHttpServer(runtime.services, { port: 0, staticDir, log: QUIET }));
    ({ server: endUser, url: endUserUrl } = await startHttpServer(runtime.services, {
      port: 0,
      staticDir,
      log: QUIET,
      surface: 'end-user',
      publicUrl: PUBLIC_URL,
    }));
    own = { origin: adminUrl, 'sec-fetch-site': 'same-origin' };
  });

  afterAll(async () => {
    await Promise.all([admin, endUser].map((s) => new Promise((resolve) => s.close(resolve))));
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('refuses a request that names another host (DNS rebinding), on the API and the console alike', async () => {
    const port = new URL(adminUrl).port;
    for (const path of ['/api/v1/endpoints', '/', '/api/v1/health']) {
      const res = await rawRequest(adminUrl, 'GET', path, { host: `attacker.example:${port}` });
      expect(res.status, path).toBe(403);
      expect(res.json.detail).toContain('answers only to 127.0.0.1, localhost, [::1]');
      expect(res.json.detail).toContain('"attacker.example:');
    }
    const written = await post('/api/v1/endpoints', { host: `attacker.example:${port}`, ...json }, JSON.stringify(ENDPOINT));
    expect(written.status).toBe(403);
    expect(await endpointNames()).toEqual([]);
  });

  it('serves every loopback name the admin may type, with any port', async () => {
    const port = new URL(adminUrl).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, 'localhost']) {
      expect((await rawRequest(adminUrl, 'GET', '/api/v1/health', { host })).status, host).toBe(200);
    }
  });

  it('refuses a change posted by another web page (Origin or Sec-Fetch-Site), and takes it from its own console', async () => {
    const fromEvil = await post(
      '/api/v1/endpoints',
      { ...json, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      JSON.stringify(ENDPOINT),
    );
    expect(fromEvil.status).toBe(403);
    expect(fromEvil.json.detail).toContain('Refused a POST sent by the page at https://evil.example');
    expect(fromEvil.json.detail).toContain(adminUrl);
    for (const headers of [
      { origin: 'null' },
      { origin: 'http://localhost:1' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ] as Record<string, string>[]) {
      const res = await post('/api/v1/endpoints', { ...json, ...headers }, JSON.stringify(ENDPOINT));
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    const del = await rawRequest(adminUrl, 'DELETE', '/api/v1/endpoints/anything', { origin: 'https://evil.example' });
    expect(del.status).toBe(403);
    expect(await endpointNames()).toEqual([]);

    const fromConsole = await post('/api/v1/endpoints', { ...json, ...own }, JSON.stringify({ ...ENDPOINT, name: 'From the console' }));
    expect(fromConsole.status).toBe(201);
    const fromScript = await post('/api/v1/endpoints', json, JSON.stringify({ ...ENDPOINT, name: 'From a script' }));
    expect(fromScript.status).toBe(201);
    expect(await endpointNames()).toEqual(['From the console', 'From a script']);
  });

  it('reads a JSON route body only as application/json: a form or text/plain post is a 415 naming the type to send', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain;charset=UTF-8', 'multipart/form-data; boundary=x']) {
      const res = await post('/api/v1/endpoints', { 'content-type': type }, type.startsWith('text') ? JSON.stringify(ENDPOINT) : FORM_BODY);
      expect(res.status, type).toBe(415);
      expect(res.json).toMatchObject({ code: 'unsupported-media-type', field: 'content-type' });
      expect(res.json.detail).toContain(`Content-Type ${type.split(';')[0]}`);
      expect(res.json.detail).toContain('send it as application/json');
    }
    const untyped = await post('/api/v1/endpoints', {}, JSON.stringify(ENDPOINT));
    expect(untyped.status).toBe(415);
    expect(untyped.json.detail).toContain('no Content-Type');
    const csvToJsonRoute = await post('/api/v1/endpoints', { 'content-type': 'text/csv' }, 'name,kind\nx,imap\n');
    expect(csvToJsonRoute.status).toBe(415);
    expect(csvToJsonRoute.json.detail).toContain('send it as application/json');
    expect(await endpointNames()).toEqual(['From the console', 'From a script']);
  });

  it('keeps text/csv for Bulk Add', async () => {
    const endpointId = (await rawRequest(adminUrl, 'GET', '/api/v1/endpoints')).json.items[0].id;
    const project = await post(
      '/api/v1/projects',
      { ...json, ...own },
      JSON.stringify({ name: 'Edge', sourceEndpointId: endpointId, destinationEndpointId: endpointId }),
    );
    const bulk = await post(
      `/api/v1/projects/${project.json.id}/items/bulk`,
      { 'content-type': 'text/csv; charset=utf-8', ...own },
      'Source Email,Destination Email\nann@a.test,ann@b.test\n',
    );
    expect(bulk.status).toBe(201);
    const asText = await post(
      `/api/v1/projects/${project.json.id}/items/bulk`,
      { 'content-type': 'text/plain', ...own },
      'Source Email,Destination Email\nbob@a.test,bob@b.test\n',
    );
    expect(asText.status).toBe(415);
    expect(asText.json.detail).toContain('Bulk Add also takes text/csv');
  });

  it('refuses the admin port to a request that came through a reverse proxy', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-forwarded-host', 'x-real-ip']) {
      const res = await rawRequest(adminUrl, 'GET', '/api/v1/endpoints', { [header]: '203.0.113.7' });
      expect(res.status, header).toBe(403);
      expect(res.json.detail).toContain('MAILFERRY_END_USER_PORT');
    }
  });

  it('serves the credential page and its assets on the end-user port, under the public host a proxy forwards', async () => {
    for (const host of ['migrate.contoso.test', `127.0.0.1:${new URL(endUserUrl).port}`]) {
      const page = await rawRequest(endUserUrl, 'GET', '/end-user/credentials', { host });
      expect(page.status, host).toBe(200);
      expect(page.text).toContain('<title>Mailferry</title>');
      expect((await rawRequest(endUserUrl, 'GET', '/assets/index-abc123.js', { host })).status).toBe(200);
    }
  });

  it('never serves the admin console or the admin API on the end-user port, whatever the proxy sends', async () => {
    const viaProxy = { host: 'migrate.contoso.test', 'x-forwarded-for': '203.0.113.7' };
    for (const path of [
      '/',
      '/projects/new',
      '/api/v1/endpoints',
      '/api/v1/projects',
      '/api/v1/openapi.json',
      '/api/v1/health',
      '/api/v1/end-user/../endpoints',
      '/assets/../api/v1/endpoints',
    ]) {
      const res = await rawRequest(endUserUrl, 'GET', path, viaProxy);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('From the console');
    }
    const write = await post('/api/v1/endpoints', { ...viaProxy, ...json, origin: PUBLIC_URL }, JSON.stringify(ENDPOINT), endUserUrl);
    expect(write.status).toBe(404);
    expect(await endpointNames()).toEqual(['From the console', 'From a script']);
  });

  it('lets the public page call the end-user API through the proxy, and refuses other hosts and origins there', async () => {
    const viaProxy = { host: 'migrate.contoso.test', ...json };
    const fromPage = await post(
      '/api/v1/end-user/request',
      { ...viaProxy, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' },
      JSON.stringify({ token: 'v1.not-a-real-link' }),
      endUserUrl,
    );
    expect(fromPage.status, fromPage.text).toBe(401);
    expect(fromPage.json.code).toBe('auth');
    const fromEvil = await post(
      '/api/v1/end-user/request',
      { ...viaProxy, origin: 'https://evil.example' },
      JSON.stringify({ token: 'v1.not-a-real-link' }),
      endUserUrl,
    );
    expect(fromEvil.status).toBe(403);
    const otherHost = await rawRequest(endUserUrl, 'GET', '/end-user/credentials', { host: 'evil.example' });
    expect(otherHost.status).toBe(403);
    expect(otherHost.json.detail).toContain('migrate.contoso.test');
  });
});
