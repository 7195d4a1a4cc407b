import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import { AuthError, ValidationError } from '../../../api/core/errors.js';
import { startDovecot, fillMailbox, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { adminAccess, userAccess } from '../../support/imap-fixtures.js';
import { waitUntil } from '../../support/wait-until.js';

function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
}

describe('ImapConnector.open against Dovecot', () => {
  let server: DovecotServer;
  const connector = new ImapConnector();

  beforeAll(async () => {
    // Dovecot 2.3 checks an XOAUTH2 token against the passdb like a password, which lets us test the mechanism.
    server = await startDovecot({ extraConfig: 'auth_mechanisms = plain login xoauth2 oauthbearer' });
    await fillMailbox(server, 'alice', 'INBOX', [{ raw: sampleMessage(1) }]);
  });
  afterAll(() => server?.stop());

  async function inboxCount(session: Awaited<ReturnType<ImapConnector['open']>>): Promise<number> {
    const inbox = (await session.listFolders()).find((f) => f.specialUse === 'inbox')!;
    return (await session.listMessages(inbox)).length;
  }

  it('logs a user in with their own password', async () => {
    const session = await connector.open(userAccess(server, 'alice'));
    expect(await inboxCount(session)).toBe(1);
    await session.close();
  });

  it('lets the admin reach a mailbox with SASL PLAIN and an authzid', async () => {
    const session = await connector.open(adminAccess(server, 'alice', 'plain-authzid'));
    expect(await inboxCount(session)).toBe(1);
    await session.close();
  });

  it('lets the admin reach a mailbox with a user*admin LOGIN', async () => {
    const session = await connector.open(adminAccess(server, 'alice', 'login-star'));
    expect(await inboxCount(session)).toBe(1);
    await session.close();
  });

  it('logs in with an XOAUTH2 access token', async () => {
    const access = { ...userAccess(server, 'alice', { authMechanism: 'xoauth2' }) };
    const session = await connector.open(access);
    expect(await inboxCount(session)).toBe(1);
    await session.close();
  });

  it('asks for a password before connecting when none is set', async () => {
    const access = { ...userAccess(server, 'alice'), password: undefined };
    await expect(connector.open(access)).rejects.toBeInstanceOf(ValidationError);
  });

  it('accepts a user added while the server runs', async () => {
    await server.addUser('carol', 'carol-pw');
    const session = await connector.open(userAccess(server, 'carol'));
    expect(await inboxCount(session)).toBe(0);
    await session.close();
  });
});

describe('ImapConnector.open with wrong credentials', () => {
  // Dovecot's auth penalty delays every later login from 127.0.0.1 after a failure (2^n s),
  // so each failure gets a fresh server.
  let server: DovecotServer;
  const connector = new ImapConnector();
  beforeEach(async () => {
    server = await startDovecot();
  });
  afterEach(() => server?.stop());

  it('says which login failed and closes the socket when the password is wrong', async () => {
    const before = openTcpSockets();
    const access = { ...userAccess(server, 'alice'), password: 'wrong' };
    const err = await connector.open(access).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).retryable).toBe(false);
    expect((err as Error).message).toContain('"alice"');
    expect((err as Error).message).toMatch(/Check the login name and password/);
    expect((err as Error).message).not.toContain('wrong');
    // The connector closes its socket after the refusal; the kernel may take a moment to list it gone.
    await waitUntil("the refused connection's socket to close", () => openTcpSockets() <= before, {
      timeoutMs: 5_000,
      describe: () => `${openTcpSockets()} open, ${before} before`,
    });
  });

  it('rejects a wrong master password as an AuthError too', async () => {
    const access = { ...adminAccess(server, 'alice', 'login-star'), adminPassword: 'nope' };
    await expect(connector.open(access)).rejects.toBeInstanceOf(AuthError);
  });
});

describe('ImapConnector.open over TLS', () => {
  let server: DovecotServer;
  const connector = new ImapConnector();
  beforeAll(async () => {
    server = await startDovecot({ tls: true });
  });
  afterAll(() => server?.stop());

  it('connects with implicit TLS when self-signed certificates are allowed', async () => {
    const session = await connector.open(userAccess(server, 'alice', { security: 'tls', port: server.tlsPort, allowSelfSigned: true }));
    expect((await session.listFolders()).map((f) => f.path)).toContain('INBOX');
    await session.close();
  });

  it('upgrades with STARTTLS on the plain port', async () => {
    const session = await connector.open(userAccess(server, 'alice', { security: 'starttls', allowSelfSigned: true }));
    expect((await session.listFolders()).map((f) => f.path)).toContain('INBOX');
    await session.close();
  });

  it('refuses a self-signed certificate unless the endpoint allows it', async () => {
    const err = await connector.open(userAccess(server, 'alice', { security: 'tls', port: server.tlsPort })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('allowSelfSigned');
  });
});
