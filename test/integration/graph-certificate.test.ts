/**
 * App-only sign-in with a certificate instead of a client secret, through the HTTP API, the real
 * engine and Graph connector, msal-node, and the Entra stand-in (which verifies the signed client
 * assertion against the certificate registered for the app: the app has no secret at all). The
 * private key goes into the vault: no answer, log line or record carries it; the API shows the
 * thumbprint and expiry. Expired and not-yet-valid certificates are real ones (openssl), and the
 * endpoint check and the pass say so in an admin's words.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../api/local/http-server.js';
import { SecretScanner } from '../adversarial/secret-scan.js';
import { encryptedKey, makeAppCertificate, type TestCertificate } from '../support/app-certificates.js';
import { sampleMessage } from '../support/dovecot.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

const DAY = 24 * 3600_000;
/** Lines of a key's PEM body (64 base64 characters each): what a leak would show, whatever the line breaks around them. */
const keyLines = (pem: string) => pem.split('\n').filter((line) => /^[A-Za-z0-9+/]{64}$/.test(line));

describe('Microsoft Graph with an app certificate', () => {
  const scanner = new SecretScanner();
  let fx: GraphMigrationFixture;
  let server: Server;
  let base: string;
  let cert: TestCertificate;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    scanner.capture(`${method} ${path}`, text);
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const endpointBody = (name: string, appCertificate: string) => ({
    name,
    kind: 'm365',
    protocol: 'graph',
    host: fx.graph.graphUrl,
    authMechanism: 'oauth-app',
    appClientId: '7d3c2b1a-5555-4666-8777-988899990000',
    appTenantId: fx.graph.tenantId,
    appCertificate,
  });

  beforeAll(async () => {
    cert = makeAppCertificate();
    for (const [i, line] of keyLines(cert.keyPem).entries()) scanner.plant(`private key line ${i + 1}`, line);
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['ann'], certificate: cert, log: scanner.log('engine') });
    ({ server, url: base } = await startHttpServer(fx.runtime.services, { port: 0 }));
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await fx?.close();
  });

  it('signs in with the certificate alone (no secret registered), copies a mailbox, and the API shows the thumbprint and expiry, never the key', async () => {
    for (let i = 1; i <= 3; i++) fx.graph.seed.message(fx.sourceOf('ann'), 'inbox', sampleMessage(i));
    const pass = await fx.runPass('full', [await fx.addItem('ann')]);
    expect(pass.summary).toMatchObject({ copied: 3, failed: 0 });
    expect(fx.graph.read.items(fx.destinationOf('ann'), 'Inbox')).toHaveLength(3);

    const { json: endpoint } = await call('GET', `/endpoints/${fx.destinationEndpointId}`);
    const { X509Certificate } = await import('node:crypto');
    const x509 = new X509Certificate(cert.certPem);
    expect(endpoint.appCertificate).toEqual({
      thumbprint: x509.fingerprint.replace(/:/g, ''),
      thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
      subject: 'CN=Mailferry migration app',
      notBefore: new Date(x509.validFrom).toISOString(),
      notAfter: new Date(x509.validTo).toISOString(),
    });
    expect(JSON.stringify(endpoint)).not.toMatch(/PRIVATE KEY|appCertificateKeyRef/);
    await call('GET', '/endpoints');

    const { json: summary } = await call('POST', `/endpoints/${fx.destinationEndpointId}/validate`, {
      testMailbox: fx.destinationOf('ann'),
    });
    expect(summary.ok).toBe(true);
    expect(summary.checks[0]).toMatchObject({ check: `App certificate ${x509.fingerprint.replace(/:/g, '')}`, status: 'ok' });
    expect(summary.checks.find((c: { check: string }) => c.check === 'App token')).toMatchObject({ status: 'ok' });

    // The key is in the vault, encrypted: not in the database, nor anywhere in the data directory in clear.
    const files = readdirSync(fx.dataDir);
    expect(files).toContain('mailferry.db');
    for (const file of files) scanner.capture(`data file ${file}`, readFileSync(join(fx.dataDir, file)).toString('latin1'));
    expect(scanner.counts.secrets).toBeGreaterThan(20);
    expect(scanner.leaks()).toEqual([]);
  }, 120_000);

  it('refuses what is not a usable certificate and key, naming what to fix', async () => {
    const other = makeAppCertificate();
    const cases: [string, RegExp][] = [
      [cert.certPem, /has no private key with it/],
      [cert.keyPem, /has no certificate in it/],
      [`${cert.certPem}${other.keyPem}`, /does not belong to the certificate given/],
      [`${cert.certPem}${encryptedKey(cert.keyPem)}`, /protected by a passphrase/],
      [`${cert.certPem}-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n`, /not a valid PEM private key/],
    ];
    for (const [pem, message] of cases) {
      const res = await call('POST', '/endpoints', endpointBody('Bad certificate', pem));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json)).toMatch(message);
      expect(JSON.stringify(res.json)).toContain('appCertificate');
    }
    expect(scanner.leaks()).toEqual([]);
  });

  it("an expired or not-yet-valid certificate fails the endpoint check and the pass in an admin's words; a new one (PATCH) works again", async () => {
    const expired = makeAppCertificate({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const patched = await call('PATCH', `/endpoints/${fx.destinationEndpointId}`, { appCertificate: expired.pem });
    expect(patched.status).toBe(200);
    expect(patched.json.appCertificate.notAfter).toBe('2021-01-01T00:00:00.000Z');
    const { json: summary } = await call('POST', `/endpoints/${fx.destinationEndpointId}/validate`, {
      testMailbox: fx.destinationOf('ann'),
    });
    expect(summary.ok).toBe(false);
    expect(summary.checks).toHaveLength(1);
    expect(summary.checks[0].status).toBe('failed');
    expect(summary.checks[0].detail).toMatch(
      /^The app certificate \(thumbprint [0-9A-F]{40}, CN=Mailferry migration app\) expired on 2021-01-01 00:00 UTC: Entra ID refuses sign-ins with it\. Create a new certificate, upload its public part in the Entra admin center/,
    );

    fx.graph.seed.message(fx.sourceOf('ann'), 'inbox', sampleMessage(9));
    const [itemId] = (await fx.runtime.services.items.listItems('local', fx.projectId)).items.map((i) => i.id);
    const failed = await fx.runPass('full', [itemId!]);
    expect(failed.summary).toMatchObject({ copied: 0 });
    const item = await fx.runtime.services.items.getItem('local', itemId!);
    expect(item.status).toBe('Failed');
    expect(item.lastRun?.reason).toMatch(/Destination \(ann-dst@contoso.com\): The app certificate .* expired on 2021-01-01 00:00 UTC/);

    const future = makeAppCertificate({ notBefore: new Date(Date.now() + 30 * DAY), notAfter: new Date(Date.now() + 400 * DAY) });
    await call('PATCH', `/endpoints/${fx.destinationEndpointId}`, { appCertificate: future.pem });
    const { json: notYet } = await call('POST', `/endpoints/${fx.destinationEndpointId}/validate`, {
      testMailbox: fx.destinationOf('ann'),
    });
    expect(notYet.checks[0].detail).toMatch(
      /is not valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC: Entra ID refuses sign-ins with it before then/,
    );

    // One that expires within 30 days is a warning; this one is not uploaded to the app, and the token check says what to check.
    const soon = makeAppCertificate({ notAfter: new Date(Date.now() + 10 * DAY) });
    await call('PATCH', `/endpoints/${fx.destinationEndpointId}`, { appCertificate: soon.pem });
    const { json: warned } = await call('POST', `/endpoints/${fx.destinationEndpointId}/validate`, {
      testMailbox: fx.destinationOf('ann'),
    });
    expect(warned.checks[0]).toMatchObject({
      status: 'warning',
      detail: expect.stringMatching(/expires on .* in (10|11) days: upload a new one/),
    });
    expect(warned.checks.find((c: { check: string }) => c.check === 'App token')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(
        /AADSTS700027.*Check the client id, the tenant id and that the certificate \(thumbprint [0-9A-F]{40}\) is uploaded to the app registration/,
      ),
    });

    await call('PATCH', `/endpoints/${fx.destinationEndpointId}`, { appCertificate: cert.pem });
    const ok = await fx.runPass('full', [itemId!]);
    expect(ok.summary).toMatchObject({ copied: 1, failed: 0 });
    expect(scanner.leaks()).toEqual([]);
  }, 120_000);
});
