/**
 * The HTTP API independent of any host: the embedded Node server and the Azure Functions v4
 * HTTP triggers both turn their request into an ApiRequest and write back the ApiResponse.
 */
import type { MailferryError } from '../core/errors.js';
import type { Principal } from '../core/services/access-service.js';

/** What a host hands to `dispatch`: the parsed request before sign-in. */
export interface IncomingApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** Parsed JSON for application/json, the raw text for text/csv, undefined when empty. */
  body: unknown;
}

export interface ApiRequest extends IncomingApiRequest {
  params: Record<string, string>;
  /** Established by the host's sign-in step (absent on public routes). */
  principal: Principal;
  /** `principal.tenantId`: every service call is scoped to it. */
  tenantId: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** Sent verbatim (CSV exports) instead of JSON when set. */
  text?: string;
  headers?: Record<string, string>;
  /** Server errors only: why, for the host's log; never serialized. */
  cause?: MailferryError;
}

/** Largest JSON body accepted; larger requests get 413 naming the limit. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Largest CSV upload (Bulk Add): about 50,000 rows of typical addresses. */
export const MAX_CSV_BODY_BYTES = 10 * 1024 * 1024;

/** What any host writes to the wire for an ApiResponse: status, headers and the body as text. */
export function serialize(response: ApiResponse): { status: number; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...response.headers };
  if (response.text !== undefined) return { status: response.status, headers, body: response.text };
  if (response.body === undefined) return { status: response.status, headers };
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return { status: response.status, headers, body: JSON.stringify(response.body) };
}
