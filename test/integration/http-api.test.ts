import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../api/local/http-server.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const ADMIN_SECRET = 'S3cr3t-admin-pw!';

describe('the HTTP API of the embedded host, over real HTTP', () => {
  let fx: MigrationFixture;
  let server: Server;
  let base: string;
  const bodies: string[] = [];

  async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, text, json: type.includes('json') && text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['ann', 'ben'] });
    ({ server, url: base } = await startHttpServer(fx.runtime.services, { port: 0 }));
  });
  afterAll(async () => {
    server?.close();
    await fx?.close();
  });

  it('creates an endpoint and never returns its password or vault reference', async () => {
    const res = await call('POST', '/api/v1/endpoints', {
      name: 'Hosted IMAP',
      kind: 'imap',
      host: 'imap.example.com',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: ADMIN_SECRET,
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'Hosted IMAP', hasAdminPassword: true });
    expect(res.text).not.toContain(ADMIN_SECRET);
    expect(res.json.adminSecretRef).toBeUndefined();
    const search = await call('GET', '/api/v1/endpoints?search=hosted');
    expect(search.json.items.map((e: { name: string }) => e.name)).toContain('Hosted IMAP');
    const one = await call('GET', `/api/v1/endpoints/${res.json.id}`);
    expect(one.json).toMatchObject({ id: res.json.id, kind: 'imap', hasAdminPassword: true, hasAppSecret: false });
    expect(one.text).not.toContain(ADMIN_SECRET);
    expect(one.json.adminSecretRef).toBeUndefined();
    expect((await call('GET', '/api/v1/endpoints/no-such-endpoint')).status).toBe(404);
  });

  it('keeps a Modern Auth client secret out of every answer', async () => {
    const APP_SECRET = 'app-client-secret-value';
    const res = await call('POST', '/api/v1/endpoints', {
      name: 'Exchange Online',
      kind: 'm365',
      cloud: 'commercial',
      authMechanism: 'oauth-app',
      adminMode: 'impersonation',
      appClientId: '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69',
      appTenantId: 'contoso.onmicrosoft.com',
      appClientSecret: APP_SECRET,
    });
    expect(res.status).toBe(201);
    const one = await call('GET', `/api/v1/endpoints/${res.json.id}`);
    expect(one.json).toMatchObject({ kind: 'm365', authMechanism: 'oauth-app', hasAppSecret: true });
    for (const answer of [res, one, await call('GET', '/api/v1/endpoints')]) {
      expect(answer.text).not.toContain(APP_SECRET);
      expect(answer.text).not.toContain('appSecretRef');
    }
  });

  it('answers bad input with problem details naming the field to fix', async () => {
    const res = await call('POST', '/api/v1/projects', {
      name: 'Bad',
      sourceEndpointId: fx.sourceEndpointId,
      destinationEndpointId: fx.destinationEndpointId,
      options: ['FolderFilter=(unclosed'],
    });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.json).toMatchObject({ code: 'validation', field: expect.stringContaining('options') });
    expect(res.json.detail).toMatch(/FolderFilter/);

    const missing = await call('GET', '/api/v1/projects/does-not-exist');
    expect(missing.status).toBe(404);
    const unknown = await call('GET', '/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    const notJson = await call('POST', '/api/v1/projects', '{"name":', 'application/json');
    expect(notJson.json.detail).toMatch(/not valid JSON/);
  });

  it('refuses a body over the limit with 413 and the limit in the message', async () => {
    const res = await call('POST', '/api/v1/projects', { name: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.detail).toMatch(/1048576-byte limit/);
  });

  it('bulk-adds items from CSV, reports the bad row by line and column, and saves the good ones', async () => {
    const csv = 'Source Email,Destination Email\r\nann@src.test,ann@old.test\r\nnot-an-address,x@dst.test\r\nben@src.test,ben@old.test\r\n';
    const res = await call('POST', `/api/v1/projects/${fx.projectId}/items/bulk`, csv, 'text/csv');
    expect(res.status).toBe(207);
    expect(res.json.added).toBe(2);
    expect(res.json.problems).toEqual([expect.objectContaining({ line: 3, column: 'Source Email' })]);

    const changed = await call('POST', `/api/v1/projects/${fx.projectId}/items/change-domain`, {
      side: 'destination',
      fromDomain: 'old.test',
      toDomain: 'dst.test',
    });
    expect(changed.json).toEqual({ changed: 2 });
    const items = await call('GET', `/api/v1/projects/${fx.projectId}/items?search=ANN`);
    expect(items.json.items).toHaveLength(1);
    expect(items.json.items[0]).toMatchObject({ sourceAddress: 'ann@src.test', destinationAddress: 'ann@dst.test', status: 'Not Started' });
  });

  it('runs verify and full passes, reports progress and exports statistics as CSV', async () => {
    await fillMailbox(
      fx.source,
      'ann@src.test',
      'INBOX',
      [1, 2, 3].map((n) => ({ raw: sampleMessage(n, 4_000) })),
    );
    await fillMailbox(
      fx.source,
      'ben@src.test',
      'Projects/Alpha',
      [1, 2].map((n) => ({ raw: sampleMessage(n, 4_000) })),
    );
    fx.runtime.startWorkers();

    const verify = await call('POST', `/api/v1/projects/${fx.projectId}/passes`, { kind: 'verify' });
    expect(verify.status).toBe(202);
    expect((await waitForPass(fx.runtime, verify.json.pass.id)).summary).toMatchObject({ completed: 2 });

    const full = await call('POST', `/api/v1/projects/${fx.projectId}/passes`, { kind: 'full' });
    const ended = await waitForPass(fx.runtime, full.json.pass.id);
    expect(ended.summary).toMatchObject({ completed: 2, copied: 5 });
    expect(countsOf(await snapshotMailbox(fx.destination, 'ben@dst.test'))['Projects.Alpha']).toBe(2);

    const progress = await call('GET', `/api/v1/projects/${fx.projectId}/progress`);
    expect(progress.json.totals).toEqual({ Completed: 2 });
    const pass = await call('GET', `/api/v1/passes/${full.json.pass.id}`);
    expect(pass.json.status).toBe('completed');

    const csv = await call('GET', `/api/v1/projects/${fx.projectId}/statistics?format=csv`);
    expect(csv.type).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toMatch(/^Source Email,Destination Email,Status.*,Messages At Destination,Current Errors$/);
    expect(lines).toHaveLength(3);
    const stats = await call('GET', `/api/v1/projects/${fx.projectId}/statistics`);
    expect(stats.json).toMatchObject({ items: 2, copied: 5, failed: 0, messagesAtDestination: 5, currentErrors: 0 });

    const retry = await call('POST', `/api/v1/projects/${fx.projectId}/passes`, { kind: 'retry-errors' });
    expect(retry.status).toBe(400);
    expect(retry.json.detail).toMatch(/Retry Errors needs/);
  });

  it('checks an endpoint on "Save and Go to Summary" and says what is wrong', async () => {
    const good = await call('POST', '/api/v1/endpoints', {
      name: 'Checked',
      kind: 'imap',
      host: fx.source.host,
      port: fx.source.port,
      security: 'none',
      adminMode: 'plain-authzid',
      adminLogin: fx.source.masterUser,
      adminPassword: fx.source.masterPassword,
    });
    const checked = await call('POST', `/api/v1/endpoints/${good.json.id}/validate`, { testMailbox: 'ann@src.test' });
    expect(checked.json.ok).toBe(true);
    expect(checked.json.checks).toEqual([
      expect.objectContaining({ check: 'Connection', status: 'ok' }),
      expect.objectContaining({ check: 'Encryption', status: 'warning' }),
      expect.objectContaining({ check: 'Login method', status: 'ok' }),
      expect.objectContaining({ check: `Admin login (${fx.source.masterUser})`, status: 'ok' }),
    ]);
    const untested = await call('POST', `/api/v1/endpoints/${good.json.id}/validate`, {});
    expect(untested.json.checks.at(-1)).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/test mailbox/) });

    const wrong = await call('POST', '/api/v1/endpoints', {
      name: 'Wrong admin',
      kind: 'imap',
      host: fx.source.host,
      port: fx.source.port,
      security: 'none',
      adminMode: 'plain-authzid',
      adminLogin: fx.source.masterUser,
      adminPassword: 'not-it',
    });
    const refused = await call('POST', `/api/v1/endpoints/${wrong.json.id}/validate`, { testMailbox: 'ann@src.test' });
    expect(refused.json.ok).toBe(false);
    expect(refused.json.checks.at(-1)).toMatchObject({ status: 'failed', detail: expect.stringContaining(fx.source.masterUser) });
    expect(refused.text).not.toContain('not-it');

    const closed = await call('POST', '/api/v1/endpoints', {
      name: 'Nobody home',
      kind: 'imap',
      host: '127.0.0.1',
      port: 1,
      security: 'tls',
    });
    const unreachable = await call('POST', `/api/v1/endpoints/${closed.json.id}/validate`, {});
    expect(unreachable.json).toMatchObject({
      ok: false,
      checks: [
        {
          check: 'Connection',
          status: 'failed',
          detail: expect.stringMatching(/^Nothing answered on 127\.0\.0\.1 port 1: check the port/),
        },
      ],
    });
  });

  it('explains that IMAP cannot autodiscover mailboxes', async () => {
    const res = await call('POST', `/api/v1/projects/${fx.projectId}/items/discover`, {});
    expect(res.status).toBe(501);
    expect(res.json.detail).toMatch(/Use Bulk Add/);
  });

  it("reports one item's statistics and e-mails the project report (to the outbox without SMTP)", async () => {
    const items = await call('GET', `/api/v1/projects/${fx.projectId}/items?search=ann`);
    const stats = await call('GET', `/api/v1/items/${items.json.items[0].id}/statistics`);
    expect(stats.json).toMatchObject({ copied: 3, failed: 0, passes: 2, errorsByReason: [], folders: [{ path: 'INBOX', copied: 3 }] });
    const sent = await call('POST', `/api/v1/projects/${fx.projectId}/statistics/email`, { to: 'it-team@dst.test' });
    expect(sent.status).toBe(202);
    const outbox = join(fx.dataDir, 'outbox');
    const [file] = readdirSync(outbox);
    const eml = readFileSync(join(outbox, file!), 'utf8');
    expect(eml).toContain('To: it-team@dst.test');
    expect(eml).toContain('Messages copied: 5');
  });

  it("replaces and clears an item's own login and password (null clears; the old secret is deleted from vaults that store secrets)", async () => {
    const created = await call('POST', `/api/v1/projects/${fx.projectId}/items`, {
      sourceAddress: 'own@src.test',
      destinationAddress: 'own@dst.test',
      sourceLogin: 'own-login',
      sourcePassword: ADMIN_SECRET,
    });
    expect(created.json).toMatchObject({ sourceLogin: 'own-login', hasSourcePassword: true });
    const item = await fx.runtime.store.items.get('local', created.json.id);
    const firstRef = item!.sourceSecretRef!;
    const replaced = await call('PATCH', `/api/v1/items/${created.json.id}`, { sourcePassword: 'another-password' });
    expect(replaced.json).toMatchObject({ sourceLogin: 'own-login', hasSourcePassword: true });
    const secondRef = (await fx.runtime.store.items.get('local', created.json.id))!.sourceSecretRef!;
    expect(secondRef).not.toBe(firstRef);
    expect(await fx.runtime.engine.vault.get('local', secondRef)).toBe('another-password');
    const cleared = await call('PATCH', `/api/v1/items/${created.json.id}`, { sourceLogin: null, sourcePassword: null });
    expect(cleared.status).toBe(200);
    expect(cleared.json.hasSourcePassword).toBe(false);
    expect(cleared.json.sourceLogin).toBeUndefined();
    expect((await fx.runtime.store.items.get('local', created.json.id))!.sourceSecretRef).toBeUndefined();
    const kept = await call('PATCH', `/api/v1/items/${created.json.id}`, { destinationAddress: 'own2@dst.test' });
    expect(kept.json).toMatchObject({ destinationAddress: 'own2@dst.test', hasSourcePassword: false });
  });

  it('never let a secret out in any response it sent', () => {
    for (const body of bodies) {
      expect(body).not.toContain(ADMIN_SECRET);
      expect(body).not.toContain(fx.source.masterPassword);
      expect(body).not.toMatch(/"(adminSecretRef|sourceSecretRef|destinationSecretRef)"/);
    }
  });
});
