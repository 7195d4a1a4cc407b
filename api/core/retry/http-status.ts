/**
 * What an HTTP status means for a retry, decided once for every HTTP client (the EWS and Graph
 * transports, the Graph mailer, the Teams notifier). Each caller words the error for its admin;
 * the class, and so `retryable`, comes from here.
 */
import { AuthError, ConnectionError, MailferryError, ThrottledError } from '../errors.js';

/**
 * - throttled: the server did not process the request and said when to come back;
 * - transient: the server or a gateway failed; the same request may succeed later;
 * - auth: the credentials or their rights were refused: retrying cannot help;
 * - permanent: the request itself was refused: sending it again will not help.
 */
export type HttpFailureKind = 'throttled' | 'transient' | 'auth' | 'permanent';

const HTTP_ERROR_MIN = 400;
const HTTP_UNAUTHORIZED = 401;
const HTTP_FORBIDDEN = 403;
const HTTP_REQUEST_TIMEOUT = 408;
const HTTP_TOO_MANY_REQUESTS = 429;
const HTTP_SERVER_ERROR_MIN = 500;
const HTTP_SERVICE_UNAVAILABLE = 503;

/**
 * Undefined for a success. 429 and 503 are throttling (Microsoft Graph and Exchange answer 503
 * when they shed load, with or without `Retry-After`); any other 5xx that carries `Retry-After` is
 * the server pacing us too (RFC 9110 §15.6.4).
 */
export function classifyHttpStatus(status: number, hasRetryAfter = false): HttpFailureKind | undefined {
  if (status < HTTP_ERROR_MIN) return undefined;
  if (status === HTTP_TOO_MANY_REQUESTS || status === HTTP_SERVICE_UNAVAILABLE) return 'throttled';
  if (status >= HTTP_SERVER_ERROR_MIN) return hasRetryAfter ? 'throttled' : 'transient';
  if (status === HTTP_REQUEST_TIMEOUT) return 'transient';
  if (status === HTTP_UNAUTHORIZED || status === HTTP_FORBIDDEN) return 'auth';
  return 'permanent';
}

/** The typed error for `kind`; `waitMs` is the throttled wait (the server's, or the caller's default). */
export function httpFailureError(
  kind: HttpFailureKind,
  message: string,
  waitMs: number,
  options: { cause?: unknown } = {},
): MailferryError {
  switch (kind) {
    case 'throttled':
      return new ThrottledError(message, waitMs, options);
    case 'transient':
      return new ConnectionError(message, options);
    case 'auth':
      return new AuthError(message, options);
    case 'permanent':
      return new MailferryError('rejected', message, options);
  }
}
