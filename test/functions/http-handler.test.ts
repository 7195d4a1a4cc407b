import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureHost } from '../../api/functions/azure-host.js';
import { createHttpHandler } from '../../api/functions/http-handler.js';
import { createSchedulerHandler } from '../../api/functions/timer.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';
import { waitUntil } from '../support/wait-until.js';

const TENANT = '44444444-4444-4444-4444-444444444444';
const CAROL = 'c0c0c0c0-0000-4000-8000-00000000ca01';

describe('the API as an Azure Functions v4 HTTP trigger', () => {
  let issuer: TestIssuer;
  let dataDir: string;
  let handler: ReturnType<typeof createHttpHandler>;
  let env: Record<string, string>;
  let token: string;

  const invoke = (method: string, path: string, body?: unknown, auth = true) =>
    handler(
      new HttpRequest({
        method,
        url: `https://mailferry.azurewebsites.net${path}`,
        headers: {
          ...(auth ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : { string: JSON.stringify(body) },
      }),
      new InvocationContext({ functionName: 'api' }),
    );

  beforeAll(async () => {
    issuer = await startTestIssuer();
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-functions-'));
    env = {
      MAILFERRY_ENTRA_AUDIENCES: TEST_AUDIENCE,
      MAILFERRY_ENTRA_JWKS_URI: issuer.jwksUri,
      MAILFERRY_DATA: dataDir,
      MAILFERRY_STORE: 'sqlite',
      MAILFERRY_ALLOWED_TENANTS: TENANT,
      MAILFERRY_TENANT_OWNERS: `${TENANT}:${CAROL}`,
    };
    handler = createHttpHandler(() => azureHost(env));
    token = await issuer.mint({ tid: TENANT, oid: CAROL, name: 'Carol' });
  });
  afterAll(async () => {
    await issuer?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same routes as the embedded host, behind Entra ID sign-in', async () => {
    const created = await invoke('POST', '/api/v1/endpoints', { name: 'Functions endpoint', kind: 'imap', host: 'imap.contoso.test' });
    expect(created.status).toBe(201);
    const listed = await invoke('GET', '/api/v1/endpoints?search=FUNCTIONS');
    expect(JSON.parse(String(listed.body)).items.map((e: { name: string }) => e.name)).toEqual(['Functions endpoint']);
    const anonymous = await invoke('GET', '/api/v1/endpoints', undefined, false);
    expect(anonymous.status).toBe(401);
    expect((anonymous.headers as Record<string, string>)['content-type']).toBe('application/problem+json');
  });

  it('refuses an oversized body with 413 before parsing it', async () => {
    const res = await invoke('POST', '/api/v1/projects', { name: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
  });

  it('publishes an OpenAPI 3.1 document generated from the route table and its schemas', async () => {
    const res = await invoke('GET', '/api/v1/openapi.json', undefined, false);
    const doc = JSON.parse(String(res.body));
    expect(doc.openapi).toBe('3.1.0');
    expect(
      doc.paths['/api/v1/projects/{projectId}/passes'].post.requestBody.content['application/json'].schema.properties.kind.enum,
    ).toEqual(['verify', 'trial', 'prestage', 'full', 'retry-errors']);
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/projects'].get.security).toEqual([{ entra: [] }]);
  });

  it('releases a "start at" pass from its timer trigger once the time has come', async () => {
    const endpoint = JSON.parse(String((await invoke('GET', '/api/v1/endpoints')).body)).items[0];
    const project = JSON.parse(
      String(
        (await invoke('POST', '/api/v1/projects', { name: 'Timed', sourceEndpointId: endpoint.id, destinationEndpointId: endpoint.id }))
          .body,
      ),
    );
    const item = JSON.parse(
      String(
        (
          await invoke('POST', `/api/v1/projects/${project.id}/items`, {
            sourceAddress: 'tim@contoso.test',
            destinationAddress: 'tim@fabrikam.test',
            sourceLogin: 'tim',
            sourcePassword: 'pw',
          })
        ).body,
      ),
    );
    const startAt = new Date(Date.now() + 300);
    await invoke('POST', `/api/v1/projects/${project.id}/passes`, { kind: 'verify', startAt: startAt.toISOString() });
    const status = async () => JSON.parse(String((await invoke('GET', `/api/v1/items/${item.id}`)).body)).status;
    expect(await status()).toBe('Submitted');
    // The Azure host runs on the system clock: its start time passes in real time.
    await waitUntil("the pass's start time to pass", () => Date.now() > startAt.getTime());
    await createSchedulerHandler(() => azureHost(env))({} as Timer, new InvocationContext({ functionName: 'scheduler' }));
    expect(await status()).toBe('Queued');
  });

  it('cannot reach the local-admin sign-in from any Functions entry point', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g))
        visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
    };
    for (const entry of ['http.ts', 'azure-host.ts', 'http-handler.ts', 'timer.ts', 'worker.ts']) visit(resolve('api/functions', entry));
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter((f) => /local-admin|api\/local\//.test(f))).toEqual([]);
  });
});
