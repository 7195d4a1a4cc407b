/**
 * Every failure Mailferry reasons about is one of these classes. Callers branch on `code` and
 * `retryable`, never on message text. Anything else is wrapped by `ensureError()`.
 */
import { networkProblem, type NetworkTarget } from './network-problem.js';

export type ErrorCode =
  | 'auth'
  | 'forbidden'
  | 'throttled'
  | 'connection'
  | 'validation'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'rejected'
  | 'stopped'
  | 'unsupported'
  | 'internal';

export interface ErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  /** The input field at fault, e.g. `sourceAddress` or `options.FolderFilter`. */
  field?: string;
  cause?: unknown;
  /** The technical text behind an admin's message (a socket or OpenSSL error): for the log, not the screen. */
  details?: string;
  /** Every field at fault with its own sentence, so a form shows each under its field. */
  fields?: FieldProblem[];
}

export interface FieldProblem {
  field: string;
  message: string;
}

export class MailferryError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly field?: string;
  readonly details?: string;
  readonly fields?: FieldProblem[];

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.field = options.field;
    this.details = options.details;
    this.fields = options.fields;
  }
}

/** Wrong password, missing right, expired token: retrying cannot help; the message says what to fix. */
export class AuthError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('auth', message, { ...options, retryable: false });
  }
}

/** The server asked us to slow down; `retryAfterMs` is its suggested wait. */
export class ThrottledError extends MailferryError {
  constructor(message: string, retryAfterMs: number, options: Omit<ErrorOptions, 'retryable' | 'retryAfterMs'> = {}) {
    super('throttled', message, { ...options, retryable: true, retryAfterMs });
  }
}

/** The connection dropped or could not be made; reconnecting may help. */
export class ConnectionError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('connection', message, { ...options, retryable: true });
  }
}

/** Bad input from an admin or a file; the message names the field and what to change. */
export class ValidationError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('validation', message, { ...options, retryable: false });
  }
}

/** Signed in, but the role or project sharing does not allow this action; the message names the role needed. */
export class ForbiddenError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('forbidden', message, { ...options, retryable: false });
  }
}

export class NotFoundError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('not-found', message, { ...options, retryable: false });
  }
}

/** Optimistic concurrency lost a race, or a record already exists. */
export class ConflictError extends MailferryError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('conflict', message, { retryable: true, ...options });
  }
}

/** One message is larger than the destination (or `MaxItemSizeBytes`) accepts. */
export class ItemTooLargeError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('too-large', message, { ...options, retryable: false });
  }
}

/** The server refused one item for a reason of its own (malformed message, policy). */
export class ItemRejectedError extends MailferryError {
  constructor(message: string, options: Omit<ErrorOptions, 'retryable'> = {}) {
    super('rejected', message, { ...options, retryable: false });
  }
}

/** Raised inside the engine when an admin stopped the pass. */
export class StoppedError extends MailferryError {
  constructor(message = 'The pass was stopped by an administrator.') {
    super('stopped', message, { retryable: false });
  }
}

/**
 * Any thrown value as a MailferryError. A network or TLS failure becomes a ConnectionError in an
 * admin's words (network-problem.ts), its original text kept as `details`; `target` names the
 * server when the caller knows it better than the error does.
 */
export function ensureError(value: unknown, target?: NetworkTarget): MailferryError {
  if (value instanceof MailferryError) return value;
  if (value instanceof Error) {
    const errno = (value as NodeJS.ErrnoException).code;
    const plain = networkProblem(value as NodeJS.ErrnoException, target);
    if (plain && (NETWORK_ERRNOS.has(errno ?? '') || !errno || errno.startsWith('ERR_SSL'))) {
      // TLS spoken to a plain port fails the same way every time: retrying cannot help.
      const tlsMismatch = !errno || errno.startsWith('ERR_SSL');
      return new MailferryError('connection', plain, {
        cause: value,
        retryable: !tlsMismatch,
        details: errno ? `${value.message} (${errno})` : value.message,
      });
    }
    if (errno && NETWORK_ERRNOS.has(errno)) {
      return new ConnectionError(`${value.message} (${errno})`, { cause: value });
    }
    return new MailferryError('internal', value.message, { cause: value });
  }
  return new MailferryError('internal', String(value));
}

const NETWORK_ERRNOS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CLOSED',
]);
