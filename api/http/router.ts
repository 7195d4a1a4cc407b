import { NotFoundError, ValidationError } from '../core/errors.js';
import type { ApiResponse, IncomingApiRequest } from './api-types.js';
import type { Authenticator } from './auth/authenticator.js';
import { authorize } from './authorize.js';
import { endUserRoutes } from './end-user-routes.js';
import { openApiDocument } from './openapi.js';
import { problem } from './problem.js';
import { CSV_MEDIA_TYPE, JSON_MEDIA_TYPE, mediaTypeOf, unsupportedMediaType } from './request-body.js';
import { routes as adminRoutes, type Route } from './routes.js';
import type { Mailferry } from '../core/app/mailferry.js';

const API_VERSION = '1.0.0';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export function compileRoutes(routes: Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route, pattern: new RegExp(`^${source}/?$`), names };
  });
}

const compiled = compileRoutes([
  ...adminRoutes,
  ...endUserRoutes,
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    access: { public: true },
    summary: 'This API as an OpenAPI 3.1 document',
    handler: async () => ({ status: 200, body: openApiDocument(allRoutes(), API_VERSION) }),
  },
]);

export function allRoutes(): Route[] {
  return compiled.map((c) => c.route);
}

/**
 * One entry point for every host: match the route, sign the caller in (unless the route is
 * public), check the route's access rule, run the handler; every failure is problem details.
 */
export async function dispatch(req: IncomingApiRequest, services: Mailferry, authenticator: Authenticator): Promise<ApiResponse> {
  try {
    const allowed: string[] = [];
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(req.path);
      if (!match) continue;
      allowed.push(route.method);
      if (route.method !== req.method) continue;
      if (req.body !== undefined && mediaTypeOf(req.headers['content-type']) === CSV_MEDIA_TYPE && !route.takesCsv)
        throw unsupportedMediaType(CSV_MEDIA_TYPE, JSON_MEDIA_TYPE);
      const params = Object.fromEntries(names.map((name, i) => [name, decodeSegment(name, match[i + 1]!)]));
      const isPublic = 'public' in route.access;
      const principal = isPublic ? ANONYMOUS : await authenticator.authenticate(req.headers);
      await authorize(route.access, principal, params, services.access);
      return await route.handler({ ...req, params, principal, tenantId: principal.tenantId }, services);
    }
    if (allowed.length) return methodNotAllowed(req.method, allowed);
    return problem(new NotFoundError(`No API route ${req.method} ${req.path}. The API lives under /api/v1/.`));
  } catch (error) {
    return problem(error);
  }
}

const HTTP_METHOD_NOT_ALLOWED = 405;

/**
 * 405 with the methods the path takes (RFC 9110 §15.5.6 asks for Allow). The path is not echoed:
 * it can carry an end-user link token, and answers end up in proxies' and browsers' logs.
 */
function methodNotAllowed(method: string, allowed: string[]): ApiResponse {
  const refused = problem(
    new ValidationError(`${method} is not supported on this path; it takes ${allowed.join(', ')}.`, { field: 'method' }),
  );
  return {
    status: HTTP_METHOD_NOT_ALLOWED,
    headers: { ...refused.headers, allow: allowed.join(', ') },
    body: { ...(refused.body as object), status: HTTP_METHOD_NOT_ALLOWED },
  };
}

/** `%E0%A4%A` is not a path segment anyone meant: 400 naming it, not a 500 from decodeURIComponent. */
function decodeSegment(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError(
      `The ${name} in the path ("${raw.slice(0, MAX_ECHOED_CHARS)}") is not valid %-encoding: encode it with encodeURIComponent.`,
      { field: name },
    );
  }
}
const MAX_ECHOED_CHARS = 100;

/** Public routes run without a caller; handlers of public routes must not use the tenant. */
const ANONYMOUS = { tenantId: '', userId: '', kind: 'user' as const };
