import { NotFoundError, ValidationError } from '../core/errors.js';
import type { ApiResponse, IncomingApiRequest } from './api-types.js';
import type { Authenticator } from './auth/authenticator.js';
import { authorize } from './authorize.js';
import { endUserRoutes } from './end-user-routes.js';
import { openApiDocument } from './openapi.js';
import { problem } from './problem.js';
import { routes as adminRoutes, type Route } from './routes.js';
import type { Services } from './services.js';

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
    method: 'GET', path: '/api/v1/openapi.json', access: { public: true }, summary: 'This API as an OpenAPI 3.1 document',
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
export async function dispatch(req: IncomingApiRequest, services: Services, authenticator: Authenticator): Promise<ApiResponse> {
  try {
    let pathMatched = false;
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(req.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      const isPublic = 'public' in route.access;
      const principal = isPublic ? ANONYMOUS : await authenticator.authenticate(req.headers);
      await authorize(route.access, principal, params, services.access);
      return await route.handler({ ...req, params, principal, tenantId: principal.tenantId }, services);
    }
    if (pathMatched) return { ...problem(new ValidationError(`${req.method} is not supported on ${req.path}.`)), status: 405 };
    return problem(new NotFoundError(`No API route ${req.method} ${req.path}. The API lives under /api/v1/.`));
  } catch (error) {
    return problem(error);
  }
}

/** Public routes run without a caller; handlers of public routes must not use the tenant. */
const ANONYMOUS = { tenantId: '', userId: '', kind: 'user' as const };
