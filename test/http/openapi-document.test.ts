/**
 * The OpenAPI document is the API's published contract (GET /api/v1/openapi.json; docs/http-api.md
 * links it instead of keeping a route table of its own). It is generated from the one route table,
 * so these tests hold the two together both ways: every route is in the document with its path
 * parameters, query parameters and request schema, every operation in the document is a route,
 * and the document is valid OpenAPI 3.1 by the specification's own JSON Schema.
 */
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument, openApiPath } from '../../api/http/openapi.js';
import { allRoutes, dispatch } from '../../api/http/router.js';
import type { Authenticator } from '../../api/http/auth/authenticator.js';
import type { Mailferry } from '../../api/core/app/mailferry.js';

type Operation = {
  summary: string;
  description?: string;
  operationId: string;
  parameters: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  security: unknown[];
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const routes = allRoutes();
const doc = openApiDocument(routes, 'test') as unknown as Document;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
);

describe('the OpenAPI document', () => {
  it("is valid OpenAPI 3.1 by the specification's JSON Schema", async () => {
    const result = await new Validator().validate(doc as unknown as SpecData);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('would be refused by the same validator if it were broken (a path parameter not marked required)', async () => {
    const broken = structuredClone(doc);
    broken.paths['/api/v1/projects/{projectId}']!.get!.parameters[0]!.required = false;
    expect((await new Validator().validate(broken as unknown as SpecData)).valid).toBe(false);
  });

  it('has one operation for each route of the table, and no other', () => {
    const fromRoutes = routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    expect(new Set(fromRoutes).size).toBe(fromRoutes.length);
    expect(operations.map((o) => o.key).sort()).toEqual(fromRoutes);
  });

  it('names every operation once', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  for (const route of routes) {
    const name = `${route.method} ${route.path}`;
    const op = () => doc.paths[openApiPath(route.path)]![route.method.toLowerCase()]!;

    it(`${name}: carries the route's summary, access, path and query parameters`, () => {
      expect(op().summary).toBe(route.summary);
      expect(op().description).toBe(route.description);
      expect(op().security).toEqual('public' in route.access ? [] : [{ entra: [] }]);
      const pathNames = [...route.path.matchAll(/:([a-zA-Z]+)/g)].map((m) => m[1]);
      expect(
        op()
          .parameters.filter((p) => p.in === 'path')
          .map((p) => p.name),
      ).toEqual(pathNames);
      expect(
        op()
          .parameters.filter((p) => p.in === 'query')
          .map((p) => p.name),
      ).toEqual(Object.keys(route.query ?? {}));
    });

    it(`${name}: shows the request schema the handler parses with`, () => {
      const body = op().requestBody;
      if (route.takesCsv) {
        expect(Object.keys(body!.content)).toEqual(['text/csv']);
        return;
      }
      if (!route.body) {
        expect(body).toBeUndefined();
        return;
      }
      expect(body!.required).toBe(!route.optionalBody);
      const schema = body!.content['application/json']!.schema;
      expect(schema).toEqual(z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }));
      // A schema clients (and the adversarial suite's Ajv) can compile as JSON Schema 2020-12.
      expect(() => addFormats.default(new Ajv2020({ strict: false })).compile(schema)).not.toThrow();
    });
  }

  it('documents the body-less and CSV routes as the handlers read them', () => {
    const bodyRoutes = routes.filter((r) => r.body || r.takesCsv).length;
    expect(operations.filter((o) => o.op.requestBody).length).toBe(bodyRoutes);
    expect(routes.some((r) => r.optionalBody)).toBe(true);
  });

  it('is what GET /api/v1/openapi.json serves, without sign-in', async () => {
    const refuse: Authenticator = {
      authenticate: async () => {
        throw new Error('a public route asked for sign-in');
      },
    };
    const res = await dispatch(
      { method: 'GET', path: '/api/v1/openapi.json', query: new URLSearchParams(), headers: {}, body: undefined },
      {} as Mailferry,
      refuse,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(JSON.stringify(res.body))).toEqual(
      JSON.parse(JSON.stringify(openApiDocument(routes, (res.body as { info: { version: string } }).info.version))),
    );
  });
});
