import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { serialize, type ApiResponse } from '../http/api-types.js';
import { problem, serverErrorLog } from '../http/problem.js';
import { bodyLimitFor, parseBody, tooLarge } from '../http/request-body.js';
import { dispatch } from '../http/router.js';
import type { AzureHost } from './azure-host.js';

/**
 * The Azure Functions face of the same router the embedded host serves: turn the Functions
 * request into the router's request, dispatch, and turn the answer back. No logic of its own
 * beyond logging server errors with their cause (Application Insights reads context.error).
 */
export function createHttpHandler(host: () => Promise<AzureHost>) {
  return async function httpApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const path = pathOf(request.url);
    let response: ApiResponse;
    try {
      const { services, authenticator } = await host();
      const contentType = request.headers.get('content-type') ?? undefined;
      const { limitBytes } = bodyLimitFor(contentType);
      if (Number(request.headers.get('content-length') ?? 0) > limitBytes) throw tooLarge(limitBytes);
      const text = await request.text();
      if (Buffer.byteLength(text) > limitBytes) throw tooLarge(limitBytes);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      const url = new URL(request.url);
      response = await dispatch(
        { method: request.method, path, query: url.searchParams, headers, body: parseBody(text, contentType) },
        services,
        authenticator,
      );
    } catch (error) {
      response = problem(error);
    }
    const logged = serverErrorLog(request.method, path, response);
    if (logged) context[logged.level](`Mailferry API: ${logged.message}`, logged.fields);
    return toInit(response);
  };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparsable URL)';
  }
}

function toInit(response: ApiResponse): HttpResponseInit {
  const { status, headers, body } = serialize(response);
  return body === undefined ? { status, headers } : { status, headers, body };
}
