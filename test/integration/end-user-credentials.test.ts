/**
 * "Waiting For End User" end to end: two real Dovecots, a real SMTP server receiving the
 * credential e-mails, the routes called over real HTTP, the real worker copying the mailbox
 * once the end user confirmed the source password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../api/adapters/smtp-mailer.js';
import { DEFAULT_LINK_TTL_MS, LinkKeyring } from '../../api/core/end-user/credential-link.js';
import type { Item } from '../../api/core/model.js';
import { createMailferry } from '../../api/core/app/create-mailferry.js';
import type { Mailferry } from '../../api/core/app/mailferry.js';
import type { Server } from 'node:http';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.js';
import { TestClock } from '../support/test-clock.js';
import { waitUntil } from '../support/wait-until.js';

const PUBLIC_URL = 'https://mailferry.test';
const LINK = /https:\/\/mailferry\.test\/end-user\/credentials#token=([A-Za-z0-9._-]+)/;
const ALICE = { source: 'alice@src.test', dest: 'alice@dst.test', password: 'Alice-Source-Pw1' };
const BOB = { source: 'bob@src.test', dest: 'bob@dst.test', password: 'Bob-Source-Pw2' };
const ITEM_DONE_TIMEOUT_MS = 60_000;

describe('end-user credential requests against real Dovecots and a real SMTP server', () => {
  let fx: MigrationFixture;
  let sink: SmtpSink;
  let mailer: SmtpMailer;
  let services: Mailferry;
  let clock: TestClock;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let passId = '';

  let server: Server;
  let base = '';
  /** Over real HTTP through the embedded host's server, as a browser and the admin console would. */
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: headersOf(res.headers) };
  };
  const item = (id: string): Promise<Item> => services.deps.store.items.get(LOCAL_TENANT, id) as Promise<Item>;
  const mailsTo = (address: string) => sink.messages.filter((m) => m.envelopeTo.includes(address));
  const tokenOf = (mail: ReceivedMail) => LINK.exec(mail.text ?? '')![1]!;

  beforeAll(async () => {
    fx = await createMigrationFixture();
    sink = await startSmtpSink();
    mailer = new SmtpMailer({
      host: sink.host,
      port: sink.port,
      secure: false,
      requireTls: false,
      from: 'Contoso IT <migration@contoso.test>',
    });
    await Promise.all([
      fx.source.addUser(ALICE.source, ALICE.password),
      fx.source.addUser(BOB.source, BOB.password),
      fx.destination.addUser(ALICE.dest, 'dest-pw'),
      fx.destination.addUser(BOB.dest, 'dest-pw'),
    ]);
    await fillMailbox(
      fx.source,
      ALICE.source,
      'INBOX',
      [0, 1, 2].map((n) => ({ raw: sampleMessage(n, 1_500, `Alice inbox ${n}`) })),
    );
    await fillMailbox(
      fx.source,
      ALICE.source,
      'Archive',
      [3, 4].map((n) => ({ raw: sampleMessage(n, 1_500, `Alice archive ${n}`) })),
    );
    await fillMailbox(
      fx.source,
      BOB.source,
      'INBOX',
      [5].map((n) => ({ raw: sampleMessage(n, 1_500, `Bob inbox ${n}`) })),
    );

    // The services the embedded host will build once wired: same store, queue and vault; the end-user part added.
    clock = new TestClock(new Date());
    services = createMailferry(
      { ...fx.runtime.services.ports, clock, mailer },
      {
        endUser: { linkKey: LinkKeyring.generateKey(), publicBaseUrl: PUBLIC_URL, organizationName: 'Contoso IT' },
      },
    );
    ({ server, url: base } = await startHttpServer(services, { port: 0 }));
    for (const user of [ALICE, BOB]) {
      const added = await services.items.addItem(LOCAL_TENANT, fx.projectId, {
        sourceAddress: user.source,
        destinationAddress: user.dest,
        endUserCredentials: true,
        options: [],
      });
      ids[user.source] = added.id;
    }
  });
  afterAll(async () => {
    server?.close();
    mailer?.close();
    await sink?.close();
    await fx?.close();
  });

  it('puts items without a password in Waiting For End User and e-mails each user a link', async () => {
    const started = await call('POST', `/api/v1/projects/${fx.projectId}/passes`, { kind: 'full', itemIds: Object.values(ids) });
    expect(started.status).toBe(202);
    passId = (started.body as { pass: { id: string } }).pass.id;
    for (const id of Object.values(ids)) expect((await item(id)).status).toBe('Waiting For End User');
    // Starting the pass sent the links itself.
    expect((started.body as { credentialRequests: unknown }).credentialRequests).toMatchObject({ sent: 2, failed: 0 });
    const mail = await sink.waitFor((m) => m.envelopeTo.includes(ALICE.source));
    expect(mail.headers.get('subject')).toBe(`Action needed: confirm your mailbox password so Contoso IT can move ${ALICE.source}`);
    expect(mail.text).toContain(`Contoso IT is moving your mailbox ${ALICE.source} to ${ALICE.dest} (migration "Integration")`);
    expect(mail.text).toMatch(/expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(mail.html).toContain(`href="${PUBLIC_URL}/end-user/credentials#token=${tokenOf(mail)}"`);
    expect(mail.raw).not.toContain(fx.source.masterPassword);
    tokens[ALICE.source] = tokenOf(mail);
    tokens[BOB.source] = tokenOf(await sink.waitFor((m) => m.envelopeTo.includes(BOB.source)));
  });

  it('shows the end user who moves which mailbox, without ids or secrets', async () => {
    const page = await call('POST', '/api/v1/end-user/request', { token: tokens[ALICE.source] });
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      sourceAddress: ALICE.source,
      destinationAddress: ALICE.dest,
      projectName: 'Integration',
      requestedBy: 'Contoso IT',
      loginHint: ALICE.source,
      expiresAt: expect.any(String),
      attemptsLeft: 5,
    });
    expect(page.headers?.['cache-control']).toBe('no-store');
  });

  it('refuses a wrong password with a reason the user can act on, counts the attempt and keeps waiting', async () => {
    const wrong = await call('POST', '/api/v1/end-user/credentials', { token: tokens[ALICE.source], password: 'not-the-Password' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ accepted: false, attemptsLeft: 4 });
    expect((wrong.body as { reason: string }).reason).toMatch(/did not accept the login name "alice@src\.test".*try again/);
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-Password');
    const waiting = await item(ids[ALICE.source]!);
    expect(waiting.status).toBe('Waiting For End User');
    expect(waiting.endUserRequest).toMatchObject({ attempts: 1 });
    expect(waiting.sourceSecretRef).toBeUndefined();
  });

  it("refuses another account's login on a link, so its holder cannot bring that mailbox into this destination", async () => {
    const before = await item(ids[BOB.source]!);
    const other = await call('POST', '/api/v1/end-user/credentials', {
      token: tokens[BOB.source],
      login: ALICE.source,
      password: ALICE.password,
    });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ accepted: false, attemptsLeft: 5 });
    expect((other.body as { reason: string }).reason).toMatch(
      /This link is for the mailbox bob@src\.test: sign in with its login name, bob@src\.test\./,
    );
    const after = await item(ids[BOB.source]!);
    expect(after).toMatchObject({ status: 'Waiting For End User', endUserRequest: { attempts: before.endUserRequest!.attempts } });
    expect(after.sourceSecretRef).toBeUndefined();
    expect(after.sourceLogin).toBeUndefined();
  });

  it('accepts the right password, queues the item at once and the worker copies the mailbox', async () => {
    const right = await call('POST', '/api/v1/end-user/credentials', { token: tokens[ALICE.source], password: ALICE.password });
    expect(right).toMatchObject({ status: 200, body: { accepted: true } });
    const queued = await item(ids[ALICE.source]!);
    expect(queued.status).toBe('Queued');
    expect(queued.sourceLogin).toBe(ALICE.source);
    expect(queued.sourceSecretEndpointId).toBe(fx.sourceEndpointId);
    expect(await services.deps.vault.get(LOCAL_TENANT, queued.sourceSecretRef!)).toBe(ALICE.password);
    expect(queued.endUserRequest?.usedAt).toBeDefined();

    fx.runtime.startWorkers();
    await waitUntil(`${ALICE.source} to complete`, async () => (await item(ids[ALICE.source]!)).status === 'Completed', {
      timeoutMs: ITEM_DONE_TIMEOUT_MS,
      describe: async () => JSON.stringify(await item(ids[ALICE.source]!)),
    });
    expect(countsOf(await snapshotMailbox(fx.destination, ALICE.dest))).toMatchObject({ INBOX: 3, Archive: 2 });
  });

  it('refuses a link that was already used', async () => {
    for (const reuse of [
      await call('POST', '/api/v1/end-user/credentials', { token: tokens[ALICE.source], password: ALICE.password }),
      await call('POST', '/api/v1/end-user/request', { token: tokens[ALICE.source] }),
    ]) {
      expect(reuse.status).toBe(401);
      expect((reuse.body as { detail: string }).detail).toMatch(/already used/);
    }
  });

  it('refuses a link changed in transit', async () => {
    const token = tokens[BOB.source]!;
    const tampered = await call('POST', '/api/v1/end-user/request', {
      token: `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`,
    });
    expect(tampered.status).toBe(401);
    expect((tampered.body as { detail: string }).detail).toMatch(/not valid/);
  });

  it('refuses an expired link; a new link from the admin then lets the pass complete', async () => {
    clock.advance(DEFAULT_LINK_TTL_MS);
    const expired = await call('POST', '/api/v1/end-user/credentials', { token: tokens[BOB.source], password: BOB.password });
    expect(expired.status).toBe(401);
    expect((expired.body as { detail: string }).detail).toMatch(/expired on .*new link/);
    expect((await item(ids[BOB.source]!)).status).toBe('Waiting For End User');

    const resent = await call('POST', `/api/v1/passes/${passId}/credential-requests`, { itemIds: [ids[BOB.source]] });
    expect(resent).toMatchObject({ status: 200, body: { sent: 1 } });
    await sink.waitFor(() => mailsTo(BOB.source).length === 2);
    const fresh = tokenOf(mailsTo(BOB.source)[1]!);
    expect((await call('POST', '/api/v1/end-user/credentials', { token: fresh, password: BOB.password })).status).toBe(200);

    const pass = await waitForPass(fx.runtime, passId);
    expect(pass.status).toBe('completed');
    expect(pass.summary).toMatchObject({ items: 2, completed: 2, failedItems: 0 });
    expect(countsOf(await snapshotMailbox(fx.destination, BOB.dest))).toMatchObject({ INBOX: 1 });
  });

  it('notifies selected users at their destination address with a per-item report', async () => {
    const report = await call('POST', `/api/v1/projects/${fx.projectId}/notify-users`, {
      itemIds: [ids[ALICE.source], 'no-such-item'],
      subject: 'Your new mailbox {{destinationAddress}}',
      message: 'Hello,\n\nyour mail from {{sourceAddress}} now lives at {{destinationAddress}}.',
    });
    expect(report.status).toBe(207);
    expect(report.body).toMatchObject({
      sent: 1,
      failed: 1,
      results: [
        { itemId: ids[ALICE.source], address: ALICE.dest, status: 'sent' },
        { itemId: 'no-such-item', status: 'failed', reason: expect.stringMatching(/No item/) },
      ],
    });
    const notice = await sink.waitFor((m) => m.envelopeTo.includes(ALICE.dest));
    expect(notice.headers.get('subject')).toBe(`Your new mailbox ${ALICE.dest}`);
    expect(notice.text).toBe(`Hello,\n\nyour mail from ${ALICE.source} now lives at ${ALICE.dest}.\n`);
  });
});

function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
