import { ensureError, type ErrorCode } from '../core/errors.js';
import type { ApiResponse } from './api-types.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation: 400,
  auth: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  throttled: 429,
  unsupported: 501,
  connection: 502,
  rejected: 422,
  stopped: 409,
  internal: 500,
};

/** RFC 9457 problem details: one shape for every error the API returns. */
export function problem(error: unknown): ApiResponse {
  const e = ensureError(error);
  const status = STATUS_BY_CODE[e.code];
  const detail = status === 500 ? 'Mailferry hit an unexpected error; the server log has the details.' : e.message;
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { type: `https://mailferry.dev/problems/${e.code}`, title: e.code, status, code: e.code, detail, field: e.field },
  };
}
