import { z } from 'zod';
import type { Route } from './routes.js';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    field: { type: 'string' },
  },
  required: ['status', 'code', 'detail'],
};

const DESCRIPTION =
  'Mailbox migration: projects, endpoints, items, passes, progress, error logs and statistics. ' +
  'Errors are RFC 9457 problem details (`application/problem+json`) with `code`, a `detail` that says what to fix and the `field` at fault. ' +
  'JSON bodies are limited to 1 MiB and CSV uploads to 10 MiB (413 names the limit); bodies must be `application/json` (Bulk Add: or `text/csv`), else 415. ' +
  'Signed-in routes take a Microsoft Entra ID access token (Teams or Office SSO); the embedded host serves one local admin on loopback without one. ' +
  'An id from another tenant answers 404 on every route.';

/** `/api/v1/projects/:projectId` → `/api/v1/projects/{projectId}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([a-zA-Z]+)/g, '{$1}');
}

/** The route's request body as the document shows it: the zod schema the handler parses with (input side), CSV for Bulk Add. */
function requestBody(route: Route): Record<string, unknown> | undefined {
  if (route.takesCsv) return { required: true, content: { 'text/csv': { schema: { type: 'string' } } } };
  if (!route.body) return undefined;
  return {
    required: !route.optionalBody,
    content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } },
  };
}

function operationId(route: Route, path: string): string {
  return `${route.method.toLowerCase()}${path.replace(/\{|\}/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`;
}

/** The OpenAPI 3.1 document, generated from the same route table and zod schemas the handlers use. */
export function openApiDocument(routes: Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const parameters = [
      ...[...route.path.matchAll(/:([a-zA-Z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(route.query ?? {}).map(([name, q]) => ({
        name,
        in: 'query',
        required: false,
        description: q.description,
        schema: q.schema,
      })),
    ];
    const body = requestBody(route);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      operationId: operationId(route, path),
      parameters,
      security: 'public' in route.access ? [] : [{ entra: [] }],
      ...(body ? { requestBody: body } : {}),
      responses: {
        default: {
          description: 'Problem details',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
        '2XX': { description: 'Success' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Mailferry API', version, description: DESCRIPTION },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        entra: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Microsoft Entra ID access token (Teams or Office SSO)',
        },
      },
    },
  };
}
