/**
 * Logs our own IMAP connection in exactly as connect.ts logs imapflow in: STARTTLS when asked,
 * then XOAUTH2, SASL PLAIN (with an authzid for admins) or LOGIN.
 */
import { AuthError, ConnectionError, ValidationError } from '../../core/errors.js';
import type { ImapAddress, ImapLogin } from './connect.js';
import { ImapWire, type TaggedResponse } from './imap-wire.js';
import { authFailure } from './map-error.js';
import { fitsQuoted, quote } from './imap-syntax.js';
import { throttledFromText } from './throttle.js';

export async function openLoggedInWire(address: ImapAddress, login: ImapLogin, signal?: AbortSignal): Promise<ImapWire> {
  signal?.throwIfAborted();
  const wire = await ImapWire.open(address);
  const onAbort = (): void => wire.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (wire.capabilities.size === 0) await wire.run('CAPABILITY');
    if (address.security === 'starttls') {
      if (!wire.capabilities.has('STARTTLS')) {
        throw new ValidationError(`${wire.where()} does not offer STARTTLS; choose TLS or no encryption for this endpoint.`, {
          field: 'security',
        });
      }
      expectOk(await wire.run('STARTTLS'), wire, 'STARTTLS');
      await wire.upgradeToTls();
      await wire.run('CAPABILITY');
    }
    const response = await authenticate(wire, login);
    if (response.status !== 'OK') {
      throw throttledFromText(response.text, `${wire.where()}: login`) ?? authFailure(context(address, login), response.text);
    }
    // RFC 3501 §6.2.3: capabilities may change after login; most servers send them in the OK.
    if (response.code !== 'CAPABILITY') await wire.run('CAPABILITY');
    return wire;
  } catch (err) {
    wire.close();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function authenticate(wire: ImapWire, login: ImapLogin): Promise<TaggedResponse> {
  const caps = wire.capabilities;
  if (login.accessToken) {
    if (!caps.has('AUTH=XOAUTH2')) {
      throw new AuthError(`${wire.where()} does not offer XOAUTH2; use password authentication for this endpoint.`);
    }
    // Google/Microsoft XOAUTH2: "user=" u ^A "auth=Bearer " token ^A ^A.
    return sasl(wire, 'XOAUTH2', `user=${login.user}\x01auth=Bearer ${login.accessToken}\x01\x01`);
  }
  const password = login.password ?? '';
  if (login.authzid || caps.has('AUTH=PLAIN')) {
    if (login.authzid && !caps.has('AUTH=PLAIN')) {
      throw new AuthError(`${wire.where()} does not offer AUTH=PLAIN, so an admin cannot log in for "${login.authzid}" with an authzid.`);
    }
    // RFC 4616 §2: authzid NUL authcid NUL passwd.
    return sasl(wire, 'PLAIN', `${login.authzid ?? ''}\x00${login.user}\x00${password}`);
  }
  if (caps.has('LOGINDISABLED')) {
    throw new AuthError(`${wire.where()} refuses LOGIN on this connection (LOGINDISABLED); use TLS or STARTTLS.`);
  }
  return loginCommand(wire, login.user, password);
}

/**
 * AUTHENTICATE with an initial response when SASL-IR allows it (RFC 4959); any further `+` is a
 * server error payload (XOAUTH2) that we answer with an empty line so the server sends its NO.
 */
async function sasl(wire: ImapWire, mechanism: string, payload: string): Promise<TaggedResponse> {
  const encoded = Buffer.from(payload, 'utf8').toString('base64');
  const tag = wire.nextTag();
  const done = wire.expect(tag);
  const initial = wire.capabilities.has('SASL-IR');
  let answered = initial;
  await wire.write(initial ? `${tag} AUTHENTICATE ${mechanism} ${encoded}\r\n` : `${tag} AUTHENTICATE ${mechanism}\r\n`);
  for (;;) {
    const next = wire.expectContinuation();
    const first = await Promise.race([done.then((r) => ({ r })), next.promise.then(() => ({ r: undefined }))]);
    if (first.r) {
      next.cancel();
      return first.r;
    }
    await wire.write(answered ? '\r\n' : `${encoded}\r\n`);
    answered = true;
  }
}

/** LOGIN with astrings: quoted when 7-bit, else a synchronizing literal (RFC 3501 §4.3). */
async function loginCommand(wire: ImapWire, user: string, password: string): Promise<TaggedResponse> {
  const tag = wire.nextTag();
  const done = wire.expect(tag);
  const parts = [user, password];
  let line = `${tag} LOGIN`;
  for (const part of parts) {
    if (fitsQuoted(part)) {
      line += ` ${quote(part)}`;
      continue;
    }
    const bytes = Buffer.from(part, 'utf8');
    const go = wire.expectContinuation();
    await wire.write(`${line} {${bytes.length}}\r\n`);
    const first = await Promise.race([done.then((r) => ({ r })), go.promise.then(() => ({ r: undefined }))]);
    if (first.r) {
      go.cancel();
      return first.r;
    }
    await wire.write(bytes);
    line = '';
  }
  await wire.write(`${line}\r\n`);
  return done;
}

function expectOk(response: TaggedResponse, wire: ImapWire, what: string): void {
  if (response.status !== 'OK') throw new ConnectionError(`${wire.where()}: ${what} failed (${response.text}).`);
}

function context(address: ImapAddress, login: ImapLogin): { host: string; port: number; user: string; action: string } {
  return { host: address.host, port: address.port, user: login.user, action: 'login' };
}
