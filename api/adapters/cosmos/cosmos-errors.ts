/**
 * Cosmos DB answers with HTTP status codes on `error.code`; the Store port speaks in Mailferry
 * errors. One mapping, so every adapter method turns 404/409/412/429 into the same classes.
 * Messages name the record, never the account key or the endpoint's credentials.
 */
import { ConflictError, ConnectionError, ensureError, NotFoundError, ThrottledError, type MailferryError } from '../../core/errors.js';

export const HTTP_NOT_FOUND = 404;
export const HTTP_CONFLICT = 409;
export const HTTP_PRECONDITION_FAILED = 412;
export const HTTP_TOO_MANY_REQUESTS = 429;
/** Request timeout and service unavailable: transient on the Cosmos gateway. */
const TRANSIENT_STATUSES = new Set([408, 503]);
/** When a 429 carries no `x-ms-retry-after-ms` (the SDK already retried with the server's hint). */
const DEFAULT_THROTTLE_WAIT_MS = 1_000;

export function cosmosStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** `what` names the record for the admin, e.g. "item 42"; used in 404/409/412 messages. */
export function toStoreError(error: unknown, what: string): MailferryError {
  const status = cosmosStatus(error);
  switch (status) {
    case HTTP_NOT_FOUND:
      return new NotFoundError(`No ${what} exists.`, { cause: error });
    case HTTP_CONFLICT:
      return new ConflictError(`The ${what} already exists.`, { cause: error });
    case HTTP_PRECONDITION_FAILED:
      return new ConflictError(`The ${what} was changed by someone else; reload and retry.`, { cause: error });
    case HTTP_TOO_MANY_REQUESTS: {
      const wait = (error as { retryAfterInMs?: unknown }).retryAfterInMs;
      return new ThrottledError('Cosmos DB is throttling requests (429).', typeof wait === 'number' ? wait : DEFAULT_THROTTLE_WAIT_MS, {
        cause: error,
      });
    }
    default:
      if (status !== undefined && TRANSIENT_STATUSES.has(status)) {
        return new ConnectionError(`Cosmos DB did not answer in time (${status}).`, { cause: error });
      }
      return ensureError(error);
  }
}
