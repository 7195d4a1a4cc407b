import { ensureError, type ErrorCode, type MailferryError } from '../core/errors.js';
import type { ApiResponse } from './api-types.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation: 400,
  auth: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  throttled: 429,
  unsupported: 501,
  connection: 502,
  rejected: 422,
  stopped: 409,
  internal: 500,
};
const FIRST_SERVER_ERROR = 500;

/**
 * RFC 9457 problem details: one shape for every error the API returns. A server error (5xx)
 * keeps its cause beside the answer (never on the wire) so the host can log why.
 */
export function problem(error: unknown): ApiResponse {
  const e = ensureError(error);
  const status = STATUS_BY_CODE[e.code];
  const detail = status === 500 ? 'Mailferry hit an unexpected error; the server log has the details.' : e.message;
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: {
      type: `https://mailferry.dev/problems/${e.code}`,
      title: e.code,
      status,
      code: e.code,
      detail,
      field: e.field,
      ...(e.fields ? { errors: e.fields } : {}),
    },
    ...(status >= FIRST_SERVER_ERROR ? { cause: e } : {}),
  };
}

/**
 * The log line a host writes for a server error: method, path (no query: it may carry search
 * words, and no URL of ours carries a secret) and the cause. Never the body or the headers: they
 * carry passwords and tokens. An unexpected error (500) is an `error` with its stack; a known one
 * (501 not configured, 502 a mail server unreachable) is a `warn`. Undefined below 500.
 */
export function serverErrorLog(
  method: string,
  path: string,
  response: ApiResponse,
): { level: 'error' | 'warn'; message: string; fields: Record<string, unknown> } | undefined {
  const cause: MailferryError | undefined = response.cause;
  if (!cause) return undefined;
  const message = `${method} ${path} answered ${response.status}: ${cause.message}`;
  const details = cause.details ? { details: cause.details } : {};
  if (cause.code !== 'internal') return { level: 'warn', message, fields: { status: response.status, code: cause.code, ...details } };
  const origin = cause.cause instanceof Error ? cause.cause : cause;
  return { level: 'error', message, fields: { status: response.status, code: cause.code, stack: origin.stack } };
}
