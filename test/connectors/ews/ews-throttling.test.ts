/**
 * The EWS test server's throttling switches, seen through ews-javascript-api 0.15.3: what the
 * EWS connector must turn into its typed throttling error (`retryAfterMs`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  Folder,
  FolderView,
  ImpersonatedUserId,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { DEFAULT_EWS_MAX_CONCURRENCY } from '../../support/ews/throttle.js';
import { NS } from '../../support/ews/xml.js';
import { waitUntil } from '../../support/wait-until.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
const BACKOFF_MS = 2500;
const CALLS = 6;
const EVERY = 3;
const CONCURRENT = 8;
const LIMIT = 3;
const DELAY_MS = 150;

function client(account: { smtp: string; password: string }, url: string): ExchangeService {
  const svc = new ExchangeService(ExchangeVersion.Exchange2013);
  svc.Credentials = new WebCredentials(account.smtp, account.password);
  svc.Url = new Uri(url);
  return svc;
}

type ClientError = Error & { response?: { errorCode: number; ErrorDetails?: { get?: (k: string) => string } }; SoapFault?: unknown };

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: ClientError }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, err: err as ClientError };
  }
}

async function raw(url: string, account: { smtp: string; password: string }): Promise<Response> {
  const body =
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
    `<s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>` +
    `<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml; charset=utf-8',
      Authorization: `Basic ${Buffer.from(`${account.smtp}:${account.password}`).toString('base64')}`,
    },
    body,
  });
}

describe('EWS test server throttling', () => {
  let server: EwsTestServer;
  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE, BOB], admin: ADMIN });
  });
  beforeEach(() => server.throttle.reset(true));
  afterAll(async () => {
    await server?.close();
  });

  it('defaults to EWSMaxConcurrency 27 and nothing switched on', async () => {
    expect(server.throttle.maxConcurrency).toBe(DEFAULT_EWS_MAX_CONCURRENCY);
    await Folder.Bind(client(ALICE, server.url), WellKnownFolderName.Inbox);
    expect(server.throttle.counters).toMatchObject({ calls: 1, serverBusy: 0, concurrency: 0, http503: 0, http429: 0 });
  });

  it('every Nth call: ErrorServerBusy as a SOAP fault with BackOffMilliseconds, which the client exposes', async () => {
    server.throttle.serverBusyEvery(EVERY, BACKOFF_MS);
    const svc = client(ALICE, server.url);
    const results = [];
    for (let i = 0; i < CALLS; i++) results.push(await settle(Folder.Bind(svc, WellKnownFolderName.Inbox)));
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, false]);
    expect(server.throttle.counters.serverBusy).toBe(CALLS / EVERY);
    const failed = results[2]!;
    if (failed.ok) throw new Error('unreachable');
    expect(failed.err.message).toMatch(/cannot service this request right now/);
    // On the wire: HTTP 500 fault with e:ResponseCode ErrorServerBusy and t:Value Name="BackOffMilliseconds".
    server.throttle.serverBusyEvery(1, BACKOFF_MS);
    const res = await raw(server.url, ALICE);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).toContain('<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>');
    expect(text).toContain(`<t:Value Name="BackOffMilliseconds">${BACKOFF_MS}</t:Value>`);
  });

  it('per-message ErrorServerBusy (HTTP 200) carries BackOffMilliseconds in ErrorDetails', async () => {
    server.throttle.serverBusyEvery(1, BACKOFF_MS, 'message');
    const r = await settle(Folder.Bind(client(ALICE, server.url), WellKnownFolderName.Inbox));
    if (r.ok) throw new Error('expected ErrorServerBusy');
    const { ServiceError } = await import('ews-javascript-api');
    expect(ServiceError[r.err.response!.errorCode]).toBe('ErrorServerBusy');
    const details = (r.err.response as unknown as { ErrorDetails: { get(k: string): string } }).ErrorDetails;
    expect(details.get('BackOffMilliseconds')).toBe(String(BACKOFF_MS));
    const res = await raw(server.url, ALICE);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<m:ResponseCode>ErrorServerBusy</m:ResponseCode>');
  });

  it('a time window refuses everything until it ends, then lets calls through', async () => {
    server.throttle.serverBusyFor(300);
    const svc = client(ALICE, server.url);
    expect((await settle(Folder.Bind(svc, WellKnownFolderName.Inbox))).ok).toBe(false);
    const text = await (await raw(server.url, ALICE)).text();
    const backOff = Number(/Name="BackOffMilliseconds">(\d+)</.exec(text)![1]);
    expect(backOff).toBeGreaterThan(0);
    expect(backOff).toBeLessThanOrEqual(300);
    await waitUntil('the 300 ms busy window to end', () => !server.throttle.inBusyWindow);
    expect((await settle(Folder.Bind(svc, WellKnownFolderName.Inbox))).ok).toBe(true);
    expect(server.throttle.counters.serverBusy).toBe(2);
  });

  it('EWSMaxConcurrency: requests past the limit per caller get ErrorExceededConnectionCount; other callers are not affected', async () => {
    server.throttle.maxConcurrency = LIMIT;
    server.throttle.responseDelayMs = DELAY_MS;
    const svc = client(ALICE, server.url);
    const burst = await Promise.all([
      ...Array.from({ length: CONCURRENT }, () => settle(Folder.Bind(svc, WellKnownFolderName.Inbox))),
      settle(Folder.Bind(client(BOB, server.url), WellKnownFolderName.Inbox)),
    ]);
    const refused = burst.filter((r) => !r.ok);
    expect(refused).toHaveLength(CONCURRENT - LIMIT);
    expect(burst.at(-1)!.ok).toBe(true);
    expect(server.throttle.counters.concurrency).toBe(CONCURRENT - LIMIT);
    expect(server.throttle.counters.peakConcurrency).toBe(LIMIT);
    const first = refused[0]!;
    if (first.ok) throw new Error('unreachable');
    expect(first.err.message).toMatch(/exceeded the available concurrent connections/);
  });

  it("with impersonation the budget is the target mailbox's", async () => {
    server.throttle.maxConcurrency = 1;
    server.throttle.responseDelayMs = DELAY_MS;
    const as = (who: string) => {
      const svc = client(ADMIN, server.url);
      svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, who);
      return svc;
    };
    const burst = await Promise.all([
      settle(as(ALICE.smtp).FindFolders(WellKnownFolderName.Inbox, new FolderView(1))),
      settle(as(BOB.smtp).FindFolders(WellKnownFolderName.Inbox, new FolderView(1))),
      settle(as(ALICE.smtp).FindFolders(WellKnownFolderName.Inbox, new FolderView(1))),
    ]);
    expect(burst.map((r) => r.ok)).toEqual([true, true, false]);
  });

  it('HTTP 503 and 429 storms with Retry-After, counted, then normal service', async () => {
    server.throttle.http503(2, 7);
    server.throttle.http429(1, 3);
    const statuses: [number, string | null][] = [];
    for (let i = 0; i < 4; i++) {
      const res = await raw(server.url, ALICE);
      statuses.push([res.status, res.headers.get('retry-after')]);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([
      [503, '7'],
      [503, '7'],
      [429, '3'],
      [200, null],
    ]);
    expect(server.throttle.counters).toMatchObject({ http503: 2, http429: 1 });
    server.throttle.http503(1);
    const r = await settle(Folder.Bind(client(ALICE, server.url), WellKnownFolderName.Inbox));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.err) + r.err.message).toMatch(/503|Service Unavailable/i);
  });

  it('schema-checked every request and response', () => {
    const v = server.validation;
    expect(v.requestFailures).toEqual([]);
    expect(v.responseFailures).toEqual([]);
    expect(v.responsesValidated).toBe(v.requestsValidated - v.faults);
  });
});
