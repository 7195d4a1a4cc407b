import { ValidationError } from '../core/errors.js';
import { changeDomainInput, endpointInput, itemInput, itemPatch, parseInput, passInput, projectInput, projectPatch } from '../core/schemas.js';
import type { ItemStatus } from '../core/model.js';
import type { Services } from './services.js';
import type { ApiRequest, ApiResponse } from './api-types.js';
import { publicItem, publicProject } from '../core/services/public-views.js';

export type Handler = (req: ApiRequest, services: Services) => Promise<ApiResponse>;
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/api/v1/projects/:projectId` style; `:name` segments land in `req.params`. */
  path: string;
  handler: Handler;
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });
const noContent: ApiResponse = { status: 204 };
const page = (req: ApiRequest) => ({ cursor: req.query.get('cursor') ?? undefined, limit: numberParam(req, 'limit') });

function numberParam(req: ApiRequest, name: string): number | undefined {
  const raw = req.query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${name} must be a positive integer.`, { field: name });
  return value;
}

function csvBody(req: ApiRequest): string {
  if (typeof req.body === 'string') return req.body;
  const csv = (req.body as { csv?: unknown } | undefined)?.csv;
  if (typeof csv === 'string') return csv;
  throw new ValidationError('Send the CSV as a text/csv body, or as JSON {"csv": "..."}.', { field: 'csv' });
}

export const routes: Route[] = [
  { method: 'GET', path: '/api/v1/health', handler: async () => ok({ status: 'ok' }) },

  { method: 'POST', path: '/api/v1/endpoints', handler: async (req, s) => ok(await s.projects.createEndpoint(req.tenantId, parseInput(endpointInput, req.body)), 201) },
  { method: 'GET', path: '/api/v1/endpoints', handler: async (req, s) => ok(await s.projects.listEndpoints(req.tenantId, req.query.get('search') ?? undefined, page(req).cursor, page(req).limit)) },
  { method: 'DELETE', path: '/api/v1/endpoints/:endpointId', handler: async (req, s) => (await s.projects.deleteEndpoint(req.tenantId, req.params.endpointId!), noContent) },

  { method: 'POST', path: '/api/v1/projects', handler: async (req, s) => ok(await s.projects.createProject(req.tenantId, parseInput(projectInput, req.body)), 201) },
  { method: 'GET', path: '/api/v1/projects', handler: async (req, s) => ok(await s.projects.listProjects(req.tenantId, req.query.get('search') ?? undefined, page(req).cursor, page(req).limit)) },
  { method: 'GET', path: '/api/v1/projects/:projectId', handler: async (req, s) => ok(publicProject(await s.projects.getProject(req.tenantId, req.params.projectId!))) },
  { method: 'PATCH', path: '/api/v1/projects/:projectId', handler: async (req, s) => ok(await s.projects.updateProject(req.tenantId, req.params.projectId!, parseInput(projectPatch, req.body))) },
  { method: 'DELETE', path: '/api/v1/projects/:projectId', handler: async (req, s) => (await s.projects.deleteProject(req.tenantId, req.params.projectId!), noContent) },

  { method: 'POST', path: '/api/v1/projects/:projectId/items', handler: async (req, s) => ok(await s.items.addItem(req.tenantId, req.params.projectId!, parseInput(itemInput, req.body)), 201) },
  { method: 'POST', path: '/api/v1/projects/:projectId/items/bulk', handler: async (req, s) => {
    const report = await s.items.bulkAdd(req.tenantId, req.params.projectId!, csvBody(req));
    return ok(report, report.problems.length ? 207 : 201);
  } },
  { method: 'GET', path: '/api/v1/projects/:projectId/items', handler: async (req, s) => ok(await s.items.listItems(req.tenantId, req.params.projectId!, {
    status: (req.query.get('status') ?? undefined) as ItemStatus | undefined, search: req.query.get('search') ?? undefined, ...page(req),
  })) },
  { method: 'POST', path: '/api/v1/projects/:projectId/items/change-domain', handler: async (req, s) => ok(await s.items.changeDomain(req.tenantId, req.params.projectId!, parseInput(changeDomainInput, req.body))) },
  { method: 'GET', path: '/api/v1/items/:itemId', handler: async (req, s) => ok(publicItem(await s.items.getItem(req.tenantId, req.params.itemId!))) },
  { method: 'PATCH', path: '/api/v1/items/:itemId', handler: async (req, s) => ok(await s.items.updateItem(req.tenantId, req.params.itemId!, parseInput(itemPatch, req.body))) },
  { method: 'DELETE', path: '/api/v1/items/:itemId', handler: async (req, s) => (await s.items.deleteItem(req.tenantId, req.params.itemId!), noContent) },
  { method: 'GET', path: '/api/v1/items/:itemId/errors', handler: async (req, s) => ok(await s.items.errorLog(req.tenantId, req.params.itemId!, page(req).cursor, page(req).limit)) },

  { method: 'POST', path: '/api/v1/projects/:projectId/passes', handler: async (req, s) => ok(await s.passes.startPass(req.tenantId, req.params.projectId!, parseInput(passInput, req.body)), 202) },
  { method: 'GET', path: '/api/v1/projects/:projectId/passes', handler: async (req, s) => ok(await s.passes.listPasses(req.tenantId, req.params.projectId!, page(req).cursor, page(req).limit)) },
  { method: 'GET', path: '/api/v1/passes/:passId', handler: async (req, s) => ok(await s.passes.getPass(req.tenantId, req.params.passId!)) },
  { method: 'POST', path: '/api/v1/passes/:passId/stop', handler: async (req, s) => ok(await s.passes.stopPass(req.tenantId, req.params.passId!), 202) },

  { method: 'GET', path: '/api/v1/projects/:projectId/progress', handler: async (req, s) => ok(await s.progress(req.tenantId, req.params.projectId!)) },
  { method: 'GET', path: '/api/v1/projects/:projectId/statistics', handler: async (req, s) => {
    if (req.query.get('format') === 'csv') {
      return { status: 200, text: await s.statistics.projectCsv(req.tenantId, req.params.projectId!), headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="statistics.csv"' } };
    }
    return ok(await s.statistics.project(req.tenantId, req.params.projectId!));
  } },
];
