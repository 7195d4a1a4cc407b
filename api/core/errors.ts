/**
 * Every failure Mailferry reasons about is one of these classes. Callers branch on `code` and
 * `retryable`, never on message text. Anything else is wrapped by `ensureError()`.
 */
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
}

export class MailferryError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.field = options.field;
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

export function ensureError(value: unknown): MailferryError {
  if (value instanceof MailferryError) return value;
  if (value instanceof Error) {
    const errno = (value as NodeJS.ErrnoException).code;
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
