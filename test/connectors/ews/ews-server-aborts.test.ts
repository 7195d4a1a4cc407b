/** A client that disconnects mid-request (a worker killed while sending) is not a server failure. */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startEwsServer } from '../../support/ews/ews-server.js';
import { waitUntil } from '../../support/wait-until.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };

describe('EWS test server and a client that goes away', () => {
  it('counts a request cut off mid-body as a client abort and still closes cleanly', async () => {
    const server = await startEwsServer({ users: [ALICE] });
    const url = new URL(server.url);
    await new Promise<void>((resolve) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'Content-Type': 'text/xml; charset=utf-8',
          'Transfer-Encoding': 'chunked',
          Authorization: `Basic ${Buffer.from(`${ALICE.smtp}:${ALICE.password}`).toString('base64')}`,
        },
      });
      req.on('error', () => resolve());
      // Half a body, then the client gives up: destroyed once that half is on the wire.
      req.write(
        '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:CreateItem',
        () => {
          req.destroy();
          resolve();
        },
      );
    });
    await waitUntil("the server to count the client's abort", () => server.validation.clientAborts > 0, { timeoutMs: 5_000 });
    expect(server.validation.clientAborts).toBe(1);
    await expect(server.close()).resolves.toBeUndefined();
  });
});
