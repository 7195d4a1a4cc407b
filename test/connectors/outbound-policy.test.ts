/**
 * Endpoint hosts cannot turn a shared deployment into a proxy into its own network (issue 10,
 * finding 8): with Azure's policy the IMAP and EWS connectors refuse non-public destinations —
 * IP literals before connecting, names through the socket's own lookup so no second resolution
 * can differ — and EWS over plain HTTP; the embedded host's policy still reaches 127.0.0.1. No
 * answer repeats the body a server sent.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EwsConnector } from '../../api/connectors/ews/ews-connector.js';
import { GraphConnector } from '../../api/connectors/graph/graph-connector.js';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import { OPEN_OUTBOUND, PUBLIC_ONLY_OUTBOUND, isPublicAddress, outboundPolicyFromEnv } from '../../api/connectors/outbound-policy.js';
import { ValidationError } from '../../api/core/errors.js';
import type { Endpoint } from '../../api/core/model.js';

const BODY_MARKER = 'INTERNAL-ONLY-admin-console-token-4711';

/** A TCP listener on 127.0.0.1 that answers like an IMAP server and counts who connected. */
async function imapLikeServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.end('* BYE go away\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** An HTTP listener on 127.0.0.1 whose every answer carries a body nobody outside should read. */
async function internalWebServer(status: number): Promise<{ server: HttpServer; port: number; connections: () => number }> {
  let connections = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'Content-Type': 'text/html' }).end(`<html><body>${BODY_MARKER}</body></html>`);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

function imapEndpoint(host: string, port: number): Endpoint {
  return {
    id: 'e',
    tenantId: 't',
    name: 'Internal',
    kind: 'imap',
    host,
    port,
    security: 'none',
    adminMode: 'none',
    authMechanism: 'password',
    domains: [],
    createdAt: '',
    version: 1,
  } as unknown as Endpoint;
}

function ewsEndpoint(host: string): Endpoint {
  return {
    id: 'e',
    tenantId: 't',
    name: 'Internal EWS',
    kind: 'exchange',
    host,
    adminMode: 'delegation',
    adminLogin: 'admin@contoso.com',
    authMechanism: 'password',
    domains: [],
    createdAt: '',
    version: 1,
  } as unknown as Endpoint;
}

const servers: { close(): unknown }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('which addresses are public', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.5',
    '192.168.1.10',
    '169.254.169.254',
    '168.63.129.16',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fc00::5',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1',
    'not-an-ip',
  ])('%s is not public', (address) => expect(isPublicAddress(address)).toBe(false));

  it.each(['52.97.146.2', '8.8.8.8', '2603:1026:c0b::2', '2606:4700:4700::1111'])('%s is public', (address) =>
    expect(isPublicAddress(address)).toBe(true),
  );

  it('is public-only on Azure unless the deployment allows private destinations', () => {
    expect(outboundPolicyFromEnv({})).toEqual(PUBLIC_ONLY_OUTBOUND);
    expect(outboundPolicyFromEnv({ MAILFERRY_ALLOW_PRIVATE_DESTINATIONS: '1' })).toEqual({ allowNonPublic: true, allowPlainHttp: false });
  });
});

describe('IMAP endpoints under the Azure policy', () => {
  it.each(['127.0.0.1', 'localhost'])('refuses %s without opening a connection, and says why', async (host) => {
    const target = await imapLikeServer();
    servers.push(target.server);
    const connector = new ImapConnector({ outbound: PUBLIC_ONLY_OUTBOUND });
    const checks = await connector.probe({ endpoint: imapEndpoint(host, target.port) });
    expect(checks).toEqual([expect.objectContaining({ check: 'Connection', status: 'failed' })]);
    expect(checks[0]!.detail).toMatch(/is not a public address .*MAILFERRY_ALLOW_PRIVATE_DESTINATIONS=1/);
    const opened = await connector
      .open({ endpoint: imapEndpoint(host, target.port), mailbox: 'a@b.test', login: 'a', password: 'pw' })
      .catch((error: unknown) => error);
    expect(opened).toBeInstanceOf(ValidationError);
    expect(target.connections()).toBe(0);
  });

  it("still reaches 127.0.0.1 under the embedded host's policy", async () => {
    const target = await imapLikeServer();
    servers.push(target.server);
    const checks = await new ImapConnector({ outbound: OPEN_OUTBOUND }).probe({ endpoint: imapEndpoint('127.0.0.1', target.port) });
    expect(checks[0]!.detail).toMatch(/refused the connection/);
    expect(target.connections()).toBe(1);
  });
});

describe('EWS endpoints under the Azure policy', () => {
  it('refuses an http:// EWS URL, asking for https://', async () => {
    const web = await internalWebServer(200);
    servers.push(web.server);
    const connector = new EwsConnector({ outbound: PUBLIC_ONLY_OUTBOUND });
    const endpoint = ewsEndpoint(`http://mail.contoso.com:${web.port}/EWS/Exchange.asmx`);
    const checks = await connector.probe({ endpoint, adminPassword: 'pw', testMailbox: 'a@contoso.com' });
    expect(checks).toEqual([
      expect.objectContaining({ check: 'EWS URL', status: 'failed', detail: expect.stringMatching(/HTTPS only: give an https:\/\/ URL/) }),
    ]);
    await expect(connector.open({ endpoint, mailbox: 'a@contoso.com', adminPassword: 'pw' })).rejects.toThrow(/HTTPS only/);
  });

  it.each([
    'https://127.0.0.1:{port}/EWS/Exchange.asmx',
    'https://localhost:{port}/EWS/Exchange.asmx',
    'https://[::1]:{port}/EWS/Exchange.asmx',
  ])('refuses %s without opening a connection', async (template) => {
    const web = await internalWebServer(200);
    servers.push(web.server);
    const connector = new EwsConnector({ outbound: PUBLIC_ONLY_OUTBOUND });
    const endpoint = ewsEndpoint(template.replace('{port}', String(web.port)));
    const checks = await connector.probe({ endpoint, adminPassword: 'pw', testMailbox: 'a@contoso.com' });
    expect(checks.find((c) => c.status === 'failed')?.detail).toMatch(/not a public address/);
    await expect(connector.open({ endpoint, mailbox: 'a@contoso.com', adminPassword: 'pw' })).rejects.toThrow(/not a public address/);
    expect(web.connections()).toBe(0);
  });
});

describe('Microsoft Graph endpoints under the Azure policy', () => {
  const graphEndpoint = (host: string) =>
    ({
      ...ewsEndpoint(host),
      kind: 'm365',
      protocol: 'graph',
      authMechanism: 'oauth-app',
      appClientId: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      appTenantId: 'contoso.onmicrosoft.com',
    }) as unknown as Endpoint;

  it.each([
    ['http://127.0.0.1:{port}', /HTTPS only/],
    ['https://127.0.0.1:{port}', /not a public address/],
    ['https://graph.contoso.internal:{port}', /is not Microsoft Graph; leave the endpoint's host empty/],
  ])('refuses %s as a Graph URL without opening a connection', async (template, why) => {
    const web = await internalWebServer(200);
    servers.push(web.server);
    const connector = new GraphConnector({ outbound: PUBLIC_ONLY_OUTBOUND });
    const checks = await connector.probe({
      endpoint: graphEndpoint(template.replace('{port}', String(web.port))),
      appSecret: 'app-secret',
      testMailbox: 'a@contoso.com',
    });
    expect(checks).toEqual([expect.objectContaining({ check: 'Microsoft Graph', status: 'failed', detail: expect.stringMatching(why) })]);
    expect(web.connections()).toBe(0);
  });
});

describe('endpoint checks repeat no response body', () => {
  // (5xx answers are retried with back-off for a minute before the same message; 4xx and 200 show it at once.)
  it.each([200, 400, 403])('says only the status when a non-EWS server answers %i', async (status) => {
    const web = await internalWebServer(status);
    servers.push(web.server);
    const connector = new EwsConnector({ outbound: OPEN_OUTBOUND });
    const checks = await connector.probe({
      endpoint: ewsEndpoint(`http://127.0.0.1:${web.port}/EWS/Exchange.asmx`),
      adminPassword: 'pw',
      testMailbox: 'a@contoso.com',
    });
    expect(web.connections()).toBeGreaterThan(0);
    expect(JSON.stringify(checks)).not.toContain(BODY_MARKER);
    const opened = await connector
      .open({ endpoint: ewsEndpoint(`http://127.0.0.1:${web.port}/EWS/Exchange.asmx`), mailbox: 'a@contoso.com', adminPassword: 'pw' })
      .catch((error: unknown) => error);
    expect(String((opened as Error).message)).not.toContain(BODY_MARKER);
  });
});
