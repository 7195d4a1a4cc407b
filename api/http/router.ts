import { NotFoundError, ValidationError } from '../core/errors.js';
import type { ApiRequest, ApiResponse } from './api-types.js';
import { problem } from './problem.js';
import { routes, type Route } from './routes.js';
import type { Services } from './services.js';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compiled: CompiledRoute[] = routes.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
});

/** Finds the route for a method and path; 404/405 as problem details otherwise. */
export async function dispatch(req: Omit<ApiRequest, 'params'>, services: Services): Promise<ApiResponse> {
  try {
    let pathMatched = false;
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(req.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      return await route.handler({ ...req, params }, services);
    }
    if (pathMatched) return { ...problem(new ValidationError(`${req.method} is not supported on ${req.path}.`)), status: 405 };
    return problem(new NotFoundError(`No API route ${req.method} ${req.path}. The API lives under /api/v1/.`));
  } catch (error) {
    return problem(error);
  }
}
