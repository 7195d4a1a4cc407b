/**
 * Exchange Online's limits on the Graph test server, per application and mailbox: 4 requests in
 * flight (the 5th gets 429 with Retry-After, also inside a $batch), the requests-per-window and
 * upload-bytes-per-window budgets (small values here, Exchange Online's by default), throttling
 * storms and injected 503/504; and a response failing the server's own CSDL check makes close() reject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE_ONLINE_LIMITS, startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { appToken, graphClient, mime, type TestGraphClient } from './graph-client.js';

const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';
const APP = { clientId: '22222222-aaaa-4bbb-8ccc-000000000001', secret: 's1' };
const OTHER_APP = { clientId: '22222222-aaaa-4bbb-8ccc-000000000002', secret: 's2' };
const HOLD_MS = 400;
const REQUESTS_PER_WINDOW = 30;
const WINDOW_MS = 60_000;
const UPLOAD_BYTES = 4000;

describe('Graph test server limits', () => {
  let server: GraphTestServer;
  let app: TestGraphClient;
  let other: TestGraphClient;
  let aliceMbx: string;
  let bobMbx: string;
  beforeAll(async () => {
    server = await startGraphServer({
      tenant: 'contoso.onmicrosoft.com',
      users: [ALICE, BOB],
      apps: [APP, OTHER_APP],
      limits: { requestsPerWindow: REQUESTS_PER_WINDOW, requestWindowMs: WINDOW_MS, uploadBytesPerWindow: UPLOAD_BYTES },
    });
    app = graphClient(server, await appToken(server, APP.clientId, APP.secret));
    other = graphClient(server, await appToken(server, OTHER_APP.clientId, OTHER_APP.secret));
    aliceMbx = await app.mailboxId(ALICE);
    bobMbx = await app.mailboxId(BOB);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("defaults to Exchange Online's values", () => {
    expect(EXCHANGE_ONLINE_LIMITS).toEqual({
      concurrency: 4,
      requestsPerWindow: 10_000,
      requestWindowMs: 600_000,
      uploadBytesPerWindow: 150 * 1024 * 1024,
      uploadWindowMs: 300_000,
    });
    expect(server.limits.concurrency).toBe(4);
  });

  it('the 5th concurrent request for one app and mailbox gets 429 with Retry-After; other mailboxes and apps are not affected', async () => {
    server.throttle.responseDelayMs = HOLD_MS;
    try {
      const folders = (c: TestGraphClient, mbx: string) => c.call(`/v1.0/admin/exchange/mailboxes/${mbx}/folders`);
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => folders(app, aliceMbx)),
        folders(app, bobMbx),
        folders(other, aliceMbx),
      ]);
      const alice = results.slice(0, 5);
      expect(alice.filter((r) => r.status === 200)).toHaveLength(4);
      const refused = alice.find((r) => r.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({ error: { code: 'ApplicationThrottled' } });
      expect(results[5]!.status).toBe(200);
      expect(results[6]!.status).toBe(200);
      expect(server.throttle.counters.maxInFlight).toBe(4);

      // A batch still reaches the mailbox 4 at a time: 6 entries → 2 inner 429s.
      const batch = await app.call<{ responses: { status: number; headers: Record<string, string> }[] }>('/v1.0/$batch', {
        body: {
          requests: Array.from({ length: 6 }, (_, i) => ({
            id: String(i),
            method: 'GET',
            url: `/admin/exchange/mailboxes/${aliceMbx}/folders`,
          })),
        },
      });
      expect(batch.body.responses.filter((r) => r.status === 429)).toHaveLength(2);
      expect(batch.body.responses.find((r) => r.status === 429)!.headers['Retry-After']).toBeDefined();
    } finally {
      server.throttle.responseDelayMs = 0;
    }
  });

  it('storms answer 429 and injected failures 503/504, each with Retry-After, then service resumes', async () => {
    server.throttle.storm(2, 7);
    server.throttle.inject(503, 1, 3);
    server.throttle.inject(504, 1);
    const statuses: [number, string | null][] = [];
    for (let i = 0; i < 5; i++) {
      const r = await app.call(`/v1.0/users/${BOB}/settings/exchange`);
      statuses.push([r.status, r.headers.get('retry-after')]);
    }
    expect(statuses).toEqual([
      [429, '7'],
      [429, '7'],
      [503, '3'],
      [504, '1'],
      [200, null],
    ]);
  });

  it('the requests-per-window budget answers 429 with the seconds left, and the next window admits again', async () => {
    const budgetApp = graphClient(server, await server.mintToken({ appId: 'budget-app', roles: ['MailboxFolder.Read.All'] }));
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS_PER_WINDOW + 1; i++)
      statuses.push((await budgetApp.call(`/v1.0/admin/exchange/mailboxes/${bobMbx}/folders`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(REQUESTS_PER_WINDOW);
    const over = await budgetApp.call(`/v1.0/admin/exchange/mailboxes/${bobMbx}/folders`);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(WINDOW_MS / 1000 - 10);
    server.clock.advance(WINDOW_MS);
    expect((await budgetApp.call(`/v1.0/admin/exchange/mailboxes/${bobMbx}/folders`)).status).toBe(200);
  });

  it('the upload budget counts importMime and importItem bodies', async () => {
    const uploader = graphClient(server, await server.mintToken({ appId: 'upload-app', roles: ['Mail-Advanced.ReadWrite.All'] }));
    const big = mime('big', `${'x'.repeat(1200)}\r\n`).toString('base64'); // ~1.7 kB on the wire
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await uploader.call(`/beta/users/${ALICE}/mailFolders/inbox/importMime`, { body: big, headers: { 'Content-Type': 'text/plain' } }))
          .status,
      );
    expect(statuses).toEqual([201, 201, 429]);
    expect(server.throttle.counters.uploadBudgetRefusals).toBe(1);
  });
});

describe('Graph test server self-check', () => {
  it('a response that fails the CSDL is answered 500 and makes close() reject', async () => {
    const server = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE], apps: [APP] });
    const app = graphClient(server, await appToken(server, APP.clientId, APP.secret));
    // A category that is not a string can only come from a bug in the server (here: a seed that bypasses types).
    server.seed.item(ALICE, 'inbox', { type: 'IPM.Note', categories: [42 as unknown as string] });
    const r = await app.call(`/v1.0/admin/exchange/mailboxes/${server.mailboxId(ALICE)}/folders/inbox/items`);
    expect(r.status).toBe(500);
    expect(server.validation.responseFailures[0]).toMatch(/categories\[0\]: expected a string/);
    await expect(server.close()).rejects.toThrow(/1 invalid response/);
  });
});
