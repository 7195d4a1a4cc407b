/**
 * Bad requests generated from the OpenAPI document the API serves: every operation, and for each
 * one a defect in its body (wrong types, missing and extra fields, huge strings, unicode, null
 * bytes, bodies that are not JSON objects), its path parameters, its query or its method. Every
 * generated body is checked against the document's own JSON Schema with Ajv: only bodies the
 * document says are invalid are sent, so a 2xx answer is a real disagreement, not a lucky case.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
};

export interface Operation {
  method: string;
  /** `/api/v1/projects/{projectId}` */
  template: string;
  params: string[];
  /** Query parameters the document declares (`limit` on every route that lists). */
  query: string[];
  body?: JsonSchema;
  isPublic: boolean;
}

export interface BadRequest {
  method: string;
  /** Path and query, already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What is wrong with it, for failure messages and counts. */
  defect: string;
  operation: string;
}

export function operationsOf(document: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
}): Operation[] {
  return Object.entries(document.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: op.requestBody?.content['application/json']?.schema,
      isPublic: Array.isArray(op.security) && op.security.length === 0,
    })),
  );
}

// ─────────── values ───────────

/** Strings an attacker or a broken client sends: unicode of every plane, null bytes, control and bidi characters, huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\u202Eevil',
    '\uFEFF',
    '../../etc/passwd',
    '%00',
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    "'; DROP TABLE items;--",
    '=HYPERLINK("http://x")',
  ),
  fc.integer({ min: 5_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'] as const;
const valueOfType: Record<(typeof JSON_TYPES)[number], fc.Arbitrary<unknown>> = {
  string: hostileString,
  number: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(1e308, -0, 0.5)),
  integer: fc.oneof(fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1)),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.array(fc.oneof(fc.integer(), hostileString, fc.constant(null)), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), hostileString), { maxKeys: 4 }),
};

function typesOf(schema: JsonSchema): string[] | undefined {
  if (schema.anyOf) {
    const inner = schema.anyOf.map(typesOf);
    return inner.some((t) => t === undefined) ? undefined : [...new Set(inner.flat() as string[])];
  }
  if (schema.type === undefined) return undefined;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes('number') ? [...types, 'integer'] : types;
}

/** A value the schema would mostly accept: the base a single defect is applied to. */
export function plausible(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(plausible));
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'string':
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'uri') return fc.webUrl();
      return fc.string({ minLength: Math.max(1, Number(schema.minLength ?? 1)), maxLength: Math.min(30, Number(schema.maxLength ?? 30)) });
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? 1), max: Number(schema.maximum ?? 1_000) });
    case 'number':
      return fc.double({ noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items ?? {}), {
        minLength: Number(schema.minItems ?? 0),
        maxLength: Math.max(Number(schema.minItems ?? 0), 3),
      });
    case 'object':
      return plausibleObject(schema);
    default:
      return fc.oneof(fc.string(), fc.integer());
  }
}

function plausibleObject(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const record = Object.fromEntries(Object.entries(props).map(([name, sub]) => [name, plausible(sub)]));
  return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) }) as fc.Arbitrary<Record<string, unknown>>;
}

/** A value of a JSON type the schema does not allow (undefined when it allows every type). */
function wrongTypeFor(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const allowed = typesOf(schema);
  if (!allowed) return undefined;
  const wrong = JSON_TYPES.filter((t) => !allowed.includes(t) && !(t === 'integer' && allowed.includes('number')));
  return wrong.length ? fc.constantFrom(...wrong).chain((t) => valueOfType[t]) : undefined;
}

/** Every defect the schema allows us to make in an object body, each as a transformation of a plausible base. */
function bodyDefects(schema: JsonSchema): fc.Arbitrary<{ defect: string; body: unknown }>[] {
  const props = Object.entries(schema.properties ?? {});
  const base = plausibleObject(schema);
  const defects: fc.Arbitrary<{ defect: string; body: unknown }>[] = [];
  for (const [name, sub] of props) {
    const wrong = wrongTypeFor(sub);
    if (wrong) defects.push(fc.tuple(base, wrong).map(([b, v]) => ({ defect: `wrong type for ${name}`, body: { ...b, [name]: v } })));
    if (sub.enum)
      defects.push(
        fc.tuple(base, hostileString).map(([b, v]) => ({ defect: `value outside the enum of ${name}`, body: { ...b, [name]: v } })),
      );
    if (typeof sub.maxLength === 'number') {
      defects.push(
        fc
          .tuple(base, fc.integer({ min: 1, max: 2_000 }))
          .map(([b, extra]) => ({ defect: `${name} too long`, body: { ...b, [name]: 'é'.repeat(Number(sub.maxLength) + extra) } })),
      );
    }
    if (typeof sub.maximum === 'number')
      defects.push(base.map((b) => ({ defect: `${name} above its maximum`, body: { ...b, [name]: Number(sub.maximum) + 1 } })));
    if (typeof sub.maxItems === 'number' && Number(sub.maxItems) <= 1_000) {
      defects.push(
        base.map((b) => ({
          defect: `${name} with too many entries`,
          body: { ...b, [name]: Array.from({ length: Number(sub.maxItems) + 1 }, (_, i) => `x${i}`) },
        })),
      );
    }
  }
  for (const name of schema.required ?? []) {
    defects.push(
      base.map((b) => {
        const { [name]: _dropped, ...rest } = b;
        return { defect: `missing ${name}`, body: rest };
      }),
    );
  }
  defects.push(
    fc
      .oneof(valueOfType.array, valueOfType.string, valueOfType.number, fc.constant(null))
      .map((body) => ({ defect: 'body is not an object', body })),
  );
  return defects;
}

/** Unknown fields added to a defective body: they must neither rescue it nor crash anything. */
const extraFields = fc.dictionary(
  fc.constantFrom('__proto__', 'constructor', 'tenantId', 'id', 'version', 'isAdmin', 'x\u0000y', '💥'),
  fc.oneof(hostileString, fc.integer(), fc.constant({ polluted: true })),
  { maxKeys: 3 },
);

// ─────────── requests ───────────

/** A path segment that is no id of ours: unicode, null bytes, dots, huge; always validly %-encoded. */
const junkId = hostileString
  .filter((s) => s.length > 0)
  .map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return 'not-an-id';
    }
  });

export interface CaseContext {
  /** Real ids by path parameter name (projectId, itemId, …) so body defects reach the handler. */
  ids: Record<string, string>;
}

function fillPath(op: Operation, values: Record<string, string>): string {
  return op.template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => values[name] ?? 'missing');
}

export function badRequests(operations: Operation[], context: CaseContext): fc.Arbitrary<BadRequest> {
  const validator = new Ajv2020({ strict: false, allErrors: false });
  addFormats.default(validator);
  const perOperation = operations.flatMap((op): fc.Arbitrary<BadRequest>[] => {
    const name = `${op.method} ${op.template}`;
    const json = { 'content-type': 'application/json' };
    const realPath = fillPath(op, context.ids);
    const arbs: fc.Arbitrary<BadRequest>[] = [];
    if (op.body) {
      const validate = validator.compile(op.body);
      // With real ids when we have them, so the body is what the handler refuses.
      const pathArb = op.params.every((p) => context.ids[p]) ? fc.constant(realPath) : junkPathFor(op);
      const defective = fc.oneof(...bodyDefects(op.body)).filter(({ body }) => !validate(body));
      arbs.push(
        fc.tuple(pathArb, defective, fc.option(extraFields, { nil: undefined })).map(([path, { defect, body }, extra]) => ({
          method: op.method,
          path,
          headers: json,
          operation: name,
          defect: extra ? `${defect} (+ unknown fields)` : defect,
          body: JSON.stringify(extra && body && typeof body === 'object' && !Array.isArray(body) ? { ...extra, ...body } : body),
        })),
      );
      arbs.push(
        fc
          .tuple(pathArb, fc.constantFrom('{"name":', '{"a":1}}', '\u0000', 'null null', "{'single':'quotes'}", '[1,2', '\uFEFF{}x'))
          .map(([path, body]) => ({
            method: op.method,
            path,
            headers: json,
            body,
            defect: 'body is not JSON',
            operation: name,
          })),
      );
    }
    if (op.params.length) {
      arbs.push(
        fc.tuple(junkPathFor(op), fc.option(fc.constant('{}'), { nil: undefined })).map(([path, body]) => ({
          method: op.method,
          path,
          headers: body === undefined ? {} : json,
          body,
          defect: 'path id that does not exist',
          operation: name,
        })),
      );
    }
    // Routes whose document declares `limit` (every route that lists): a query defect is theirs.
    if (op.query.includes('limit')) {
      const pathArb = op.params.every((p) => context.ids[p]) ? fc.constant(realPath) : junkPathFor(op);
      arbs.push(
        fc.tuple(pathArb, fc.constantFrom('0', '-1', 'abc', '1.5', '1e999', '', '%00')).map(([path, limit]) => ({
          method: 'GET',
          path: `${path}?limit=${limit}`,
          headers: {},
          defect: `limit=${limit}`,
          operation: name,
        })),
      );
    }
    return arbs;
  });
  const wrongMethod = fc
    .tuple(fc.constantFrom(...operations), fc.constantFrom('PUT', 'PATCH', 'DELETE', 'POST'))
    .filter(([op, m]) => !operations.some((o) => o.template === op.template && o.method === m))
    .map(
      ([op, method]): BadRequest => ({
        method,
        path: fillPath(op, context.ids),
        headers: {},
        defect: `${method} on a path without it`,
        operation: `${op.method} ${op.template}`,
      }),
    );
  const unknownRoute = junkId.map(
    (segment): BadRequest => ({ method: 'GET', path: `/api/v1/${segment}/x`, headers: {}, defect: 'no such route', operation: 'none' }),
  );
  return fc.oneof(...perOperation, wrongMethod, unknownRoute);
}

function junkPathFor(op: Operation): fc.Arbitrary<string> {
  return fc
    .tuple(...op.params.map(() => junkId))
    .map((values) => fillPath(op, Object.fromEntries(op.params.map((p, i) => [p, values[i]!]))));
}
