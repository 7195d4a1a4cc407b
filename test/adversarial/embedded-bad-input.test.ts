/**
 * The embedded host (api/local) over real HTTP on loopback, under generated bad input: every
 * route of its OpenAPI document with broken bodies, ids and queries, then hostile Host, Origin
 * and content types. Nothing may crash, every refusal is a clear problem, no planted secret leaves.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { runBadInput } from './bad-input-cases.js';
import { startEmbeddedHost } from './hosts.js';
import { clip } from './http-probe.js';
import { plantWorld, type PlantedWorld } from './planted-world.js';
import { SecretScanner } from './secret-scan.js';

describe('the embedded host under generated bad input', { timeout: adversarialRun.testTimeoutMs }, () => {
  const scanner = new SecretScanner();
  let host: Awaited<ReturnType<typeof startEmbeddedHost>>;
  let world: PlantedWorld;

  beforeAll(async () => {
    host = await startEmbeddedHost(scanner);
    world = await plantWorld(host, scanner, LOCAL_TENANT);
  });
  afterAll(async () => {
    await host?.close();
  });

  it(`answers ${adversarialRun.httpCases} requests generated from its OpenAPI document with clear 4xx problems, and stays up`, async () => {
    const outcome = await runBadInput(host, world.ids);
    reportCounts('embedded host, bad requests from the OpenAPI document', {
      cases: outcome.cases,
      distinctDefects: outcome.defects,
      violations: outcome.violations.length,
    });
    expect(outcome.cases).toBeGreaterThanOrEqual(200);
    expect(outcome.violations).toEqual([]);
    expect((await host.send({ method: 'GET', path: '/api/v1/health' })).status).toBe(200);
  });

  it('keeps names with unicode, null bytes and bidi characters exactly as sent, or refuses them with a problem', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), async (name) => {
        const res = await host.call('POST', '/workgroups', { name });
        if (res.status >= 400) {
          expect(res.status).toBeLessThan(500);
          expect(res.json).toMatchObject({ detail: expect.stringMatching(/name/) });
          return;
        }
        stored++;
        expect(res.status).toBe(201);
        expect(res.json).toMatchObject({ name: name.trim() });
      }),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases },
    );
    reportCounts('embedded host, hostile names', { cases: adversarialRun.smallCases, stored });
  });

  it('refuses a request body over the limit with 413, not by running out of memory', async () => {
    const res = await host.send({
      method: 'POST',
      path: '/api/v1/endpoints',
      headers: { 'content-type': 'application/json' },
      body: `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).detail).toMatch(/limit/);
  });

  it('no planted secret appears in any answer or log line the suite captured', () => {
    reportCounts('embedded host, secret scan', scanner.counts);
    expect(scanner.counts.captured).toBeGreaterThan(adversarialRun.httpCases);
    expect(scanner.leaks()).toEqual([]);
  });
});

const STATE_CHANGE = (name: string) => ({ name, kind: 'imap', host: 'imap.evil.test', adminMode: 'none' });

/** Issue 10 #1: a web page must not reach the no-sign-in API by DNS rebinding or CSRF. */
describe('the embedded host refuses requests a web page could make', { timeout: adversarialRun.testTimeoutMs }, () => {
  const scanner = new SecretScanner();
  let host: Awaited<ReturnType<typeof startEmbeddedHost>>;
  const endpointCount = async () => ((await host.call('GET', '/endpoints')).json as { items: unknown[] }).items.length;

  beforeAll(async () => {
    host = await startEmbeddedHost(scanner);
  });
  afterAll(async () => {
    await host?.close();
  });

  const hostileHost = fc
    .oneof(
      fc.domain(),
      fc.ipV4().filter((ip) => !ip.startsWith('127.')),
      fc.constant('127.0.0.1.evil.example'),
      fc.constant('localhost.attacker.example'),
    )
    .chain((name) => fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }).map((port) => (port ? `${name}:${port}` : name)));

  it('issue 10 #1: answers no request whose Host is not a loopback name (DNS rebinding)', async () => {
    const before = await endpointCount();
    await fc.assert(
      fc.asyncProperty(hostileHost, async (hostHeader) => {
        const read = await host.send({ method: 'GET', path: '/api/v1/endpoints', headers: { host: hostHeader } });
        expect(read.status, `GET with Host: ${hostHeader}: ${clip(read.text)}`).toBeGreaterThanOrEqual(400);
        const write = await host.send({
          method: 'POST',
          path: '/api/v1/endpoints',
          headers: { host: hostHeader, 'content-type': 'application/json' },
          body: JSON.stringify(STATE_CHANGE('rebinding')),
        });
        expect(write.status).toBeGreaterThanOrEqual(400);
        expect(write.status).toBeLessThan(500);
      }),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases },
    );
    expect(await endpointCount()).toBe(before);
  });

  it('issue 10 #1: refuses a state-changing request from another origin (CSRF)', async () => {
    const before = await endpointCount();
    await fc.assert(
      fc.asyncProperty(fc.webUrl({ withQueryParameters: false, withFragments: false }), async (origin) => {
        const res = await host.send({
          method: 'POST',
          path: '/api/v1/endpoints',
          headers: { origin: new URL(origin).origin, 'content-type': 'application/json' },
          body: JSON.stringify(STATE_CHANGE('csrf')),
        });
        expect(res.status, `Origin: ${origin}`).toBe(403);
      }),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases },
    );
    expect(await endpointCount()).toBe(before);
  });

  it('issue 10 #1: JSON routes take only application/json (a form post cannot create anything)', async () => {
    const before = await endpointCount();
    const types = fc.constantFrom(
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'text/csv',
      'application/xml',
      'application/json-patch+json',
      '',
    );
    await fc.assert(
      fc.asyncProperty(types, async (type) => {
        const res = await host.send({
          method: 'POST',
          path: '/api/v1/endpoints',
          headers: type ? { 'content-type': type } : {},
          body: JSON.stringify(STATE_CHANGE('form post')),
        });
        expect(res.status, `content-type ${type}: ${clip(res.text)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases },
    );
    expect(await endpointCount()).toBe(before);
  });
});
