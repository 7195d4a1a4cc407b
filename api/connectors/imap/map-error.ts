/**
 * Turns imapflow's errors and socket errors into Mailferry's typed errors, so callers branch on
 * `code`/`retryable` and admins read what to fix. Never puts a password or token in a message.
 */
import {
  AuthError,
  ConnectionError,
  MailferryError,
  NotFoundError,
  ThrottledError,
  ValidationError,
  ensureError,
} from '../../core/errors.js';
import { MAX_THROTTLE_WAIT_MS, throttledFromText } from './throttle.js';

export interface ImapErrorContext {
  host: string;
  port: number;
  /** The login name we tried (never the password). */
  user?: string;
  /** What we were doing, e.g. `listing folders`. */
  action: string;
}

interface ImapFlowLikeError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  response?: unknown;
  throttleReset?: number;
  throttleWaited?: number;
}

const CONNECTION_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'StateLogout',
]);

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function authFailure(ctx: ImapErrorContext, serverText: string | undefined, cause?: unknown): AuthError {
  const said = serverText ? ` The server said: "${serverText.trim()}".` : '';
  return new AuthError(
    `IMAP login as "${ctx.user ?? '?'}" to ${ctx.host}:${ctx.port} failed.${said} ` +
      'Check the login name and password (or access token) and, when an admin login reaches user mailboxes, ' +
      'that the admin account is allowed to log in as other users (Dovecot master user, authzid or `user*admin`).',
    { cause },
  );
}

/** A TLS certificate Node would not trust, in the admin's words and on the setting that allows it. */
export function certificateError(where: string, err: { code?: string }): ValidationError | undefined {
  if (!err.code || !CERT_CODES.has(err.code)) return undefined;
  return new ValidationError(
    `${where}: the server's TLS certificate is not trusted (${err.code}). ` +
      'Install a trusted certificate, or allow self-signed certificates for this endpoint if that is expected.',
    { field: 'allowSelfSigned', cause: err },
  );
}

export function toImapError(value: unknown, ctx: ImapErrorContext): MailferryError {
  if (value instanceof MailferryError) return value;
  if (!(value instanceof Error)) return ensureError(value);
  const err = value as ImapFlowLikeError;
  const where = `${ctx.action} on ${ctx.host}:${ctx.port}`;
  const text = err.responseText ?? (typeof err.response === 'string' ? err.response : undefined);

  if (err.authenticationFailed || err.serverResponseCode === 'AUTHENTICATIONFAILED' || err.serverResponseCode === 'AUTHORIZATIONFAILED') {
    return authFailure(ctx, text, err);
  }
  if (err.code === 'ETHROTTLE' && err.throttleReset !== undefined) {
    // imapflow already slept `throttleWaited` ms before rejecting; ask only for the rest.
    const rest = Math.max(err.throttleReset - (err.throttleWaited ?? 0), 1000);
    return new ThrottledError(`${where}: the server is throttling requests.`, Math.min(rest, MAX_THROTTLE_WAIT_MS), { cause: err });
  }
  if (err.serverResponseCode === 'NONEXISTENT' || err.code === 'NotFound') {
    // RFC 5530 §3: the mailbox is gone (renamed or deleted since it was listed).
    return new NotFoundError(`${where}: the folder does not exist (${text ?? err.message}).`, { cause: err });
  }
  const throttled = throttledFromText(text ?? err.message, where);
  if (throttled) return throttled;
  const untrusted = certificateError(where, err);
  if (untrusted) return untrusted;
  if (err.code && CONNECTION_CODES.has(err.code)) {
    return new ConnectionError(`${where}: the connection failed or was closed (${err.code}).`, { cause: err });
  }
  const mapped = ensureError(err, { host: ctx.host, port: ctx.port, protocol: 'IMAP' });
  if (mapped.code !== 'internal') return mapped;
  return new MailferryError('internal', `${where}: ${text ?? err.message}`, { cause: err });
}
