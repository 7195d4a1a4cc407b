import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapWire } from '../../api/connectors/imap/imap-wire.js';
import { OPEN_OUTBOUND } from '../../api/connectors/outbound-policy.js';
import type { MailferryError } from '../../api/core/errors.js';
import { freePort, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { list, text } from '../support/json-answer.js';

/**
 * Issue 14 #7: "Save and Go to Summary" against servers that cannot be reached says what to do in
 * an admin's words, not Node's or OpenSSL's; the raw text stays in `details`, for the log.
 */
describe("connection problems in an admin's words", () => {
  let api: LocalApi;
  let dovecot: DovecotServer;

  beforeAll(async () => {
    [api, dovecot] = await Promise.all([startLocalApi('connection-problems'), startDovecot()]);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), dovecot?.stop()]);
  });

  async function connectionCheck(host: string, port: number, security: string): Promise<string> {
    const { json: endpoint } = await api.call('POST', '/endpoints', { name: `${host}:${port}`, kind: 'imap', host, port, security });
    const { json: result } = await api.call('POST', `/endpoints/${endpoint.id}/validate`, {});
    const check = list(result.checks).find((c) => text(c.check) === 'Connection');
    return text(check!.detail);
  }

  it("TLS spoken to a plain IMAP port suggests STARTTLS or no encryption, without OpenSSL's text", async () => {
    const detail = await connectionCheck(dovecot.host, dovecot.port, 'tls');
    expect(detail).toBe(
      `The server did not answer TLS on port ${dovecot.port}: try STARTTLS or no encryption (usually port 143), or the TLS port (usually 993).`,
    );
  });

  it('a host name that does not resolve is named, with what to check', async () => {
    expect(await connectionCheck('no-such-server.invalid', 993, 'tls')).toBe(
      'No server named no-such-server.invalid was found: check the host name.',
    );
  });

  it('a port where nothing listens is named with its host', async () => {
    const port = await freePort();
    expect(await connectionCheck('127.0.0.1', port, 'none')).toBe(
      `Nothing answered on 127.0.0.1 port ${port}: check the port, and that the mail server is running there.`,
    );
  });

  it('keeps the technical text beside the message, for the log', async () => {
    const error = await ImapWire.open({
      host: dovecot.host,
      port: dovecot.port,
      security: 'tls',
      allowSelfSigned: false,
      outbound: OPEN_OUTBOUND,
    }).then(
      () => undefined,
      (e: MailferryError) => e,
    );
    expect(error?.code).toBe('connection');
    expect(error?.retryable).toBe(false);
    expect(error?.details).toMatch(/wrong version number/);
    expect(error?.message).not.toMatch(/ssl3|openssl/i);
  });
});

/** Issue 14 #7: a form with several fields at fault gets one sentence per field, to show under each. */
describe('validation problems name every field with its own sentence', () => {
  let api: LocalApi;
  beforeAll(async () => {
    api = await startLocalApi('field-problems');
  });
  afterAll(() => api.close());

  it('Quick Add without both addresses: one error per address, each a sentence', async () => {
    const { json: endpoint } = await api.call('POST', '/endpoints', { name: 'E', kind: 'imap', host: 'imap.contoso.test' });
    const { json: project } = await api.call('POST', '/projects', {
      name: 'P',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
    });
    const res = await api.call('POST', `/projects/${project.id}/items`, { sourceAddress: 'not an address' });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([
      { field: 'sourceAddress', message: 'Must be an e-mail address such as user@contoso.com.' },
      { field: 'destinationAddress', message: 'This is required.' },
    ]);
  });
});
