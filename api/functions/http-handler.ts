import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ensureError } from '../core/errors.js';
import { serialize, type ApiResponse } from '../http/api-types.js';
import { problem } from '../http/problem.js';
import { bodyLimitFor, parseBody, tooLarge } from '../http/request-body.js';
import { dispatch } from '../http/router.js';
import type { AzureHost } from './azure-host.js';

/**
 * The Azure Functions face of the same router the embedded host serves: turn the Functions
 * request into the router's request, dispatch, and turn the answer back. No logic of its own.
 */
export function createHttpHandler(host: () => Promise<AzureHost>) {
  return async function httpApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const { services, authenticator } = await host();
      const url = new URL(request.url);
      const { isCsv, limitBytes } = bodyLimitFor(request.headers.get('content-type') ?? undefined);
      if (Number(request.headers.get('content-length') ?? 0) > limitBytes) throw tooLarge(limitBytes);
      const text = await request.text();
      if (Buffer.byteLength(text) > limitBytes) throw tooLarge(limitBytes);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
      return toInit(await dispatch({ method: request.method, path: url.pathname, query: url.searchParams, headers, body: parseBody(text, isCsv) }, services, authenticator));
    } catch (error) {
      const e = ensureError(error);
      if (e.code === 'internal' || e.code === 'unsupported') context.error(`Mailferry API: ${e.message}`);
      return toInit(problem(e));
    }
  };
}

function toInit(response: ApiResponse): HttpResponseInit {
  const { status, headers, body } = serialize(response);
  return body === undefined ? { status, headers } : { status, headers, body };
}
