/**
 * One Graph request through the server's rules, whether it came over HTTP or inside a `$batch`:
 * route, permission, mailbox, request body against the CSDL, Exchange Online's limits, the
 * handler, and the response against the CSDL (a failure there is this server's bug: recorded,
 * answered 500, and close() rejects).
 */
import { randomUUID } from 'node:crypto';
import { PERMISSION, missingPermission, type Caller } from './permissions.js';
import {
  type GraphRequest,
  type Reply,
  type Route,
  type RouteContext,
  type ServerState,
  GraphError,
  badRequest,
  errorBody,
} from './routing.js';
import type { GraphMailbox } from './store.js';

export interface ValidationLog {
  requestsChecked: number;
  responsesChecked: number;
  /** Requests refused because their body broke the CSDL (the client's fault, answered 400). */
  requestFailures: string[];
  /** Responses this server got wrong (its own fault: close() rejects). */
  responseFailures: string[];
}

export function newValidationLog(): ValidationLog {
  return { requestsChecked: 0, responsesChecked: 0, requestFailures: [], responseFailures: [] };
}

/** Splits `/v1.0/a/b('k')/c` into version and segments; OData key syntax `name('key')` becomes two segments. */
export function parsePath(pathname: string): { version: 'v1.0' | 'beta'; segments: string[] } | undefined {
  const raw = pathname
    .replace(/^\/+/, '')
    .split('/')
    .filter((s) => s !== '');
  const version = raw.shift();
  if (version !== 'v1.0' && version !== 'beta') return undefined;
  const segments: string[] = [];
  for (const part of raw) {
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      s = part;
    }
    const keyed = /^([A-Za-z$][\w.]*)\('?(.*?)'?\)$/.exec(s);
    if (keyed) segments.push(keyed[1]!, keyed[2]!);
    else segments.push(s);
  }
  return { version, segments };
}

function match(route: Route, segments: string[]): Record<string, string> | undefined {
  if (route.path.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const p = route.path[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    else if (p.toLowerCase() !== segments[i]!.toLowerCase()) return undefined;
  }
  return params;
}

function resolveMailbox(state: ServerState, params: Record<string, string>): GraphMailbox | undefined {
  if (params['mbx'] !== undefined) {
    const mbx = state.store.mailboxes.get(params['mbx']);
    if (!mbx)
      throw new GraphError(
        404,
        'ErrorMailboxNotFound',
        `The mailbox '${params['mbx']}' was not found. Use the primaryMailboxId that GET /users/{id}/settings/exchange returns, as given.`,
      );
    if (mbx.kind === 'group') {
      throw new GraphError(
        400,
        'ErrorUnsupportedMailboxType',
        'Microsoft 365 Groups mailboxes are not supported by mailbox import and export. Only primary and shared mailboxes are.',
      );
    }
    return mbx;
  }
  if (params['user'] !== undefined) {
    const mbx = state.store.find(params['user']);
    if (!mbx || mbx.kind === 'group') {
      throw new GraphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${params['user']}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return mbx;
  }
  return undefined;
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('The request body is not valid JSON.', 'BadRequest');
  }
}

/** The CSDL check of a request body: a resource type, or an action's parameters. */
function requestViolations(state: ServerState, route: Route, body: Buffer): string[] {
  const type = route.requestType;
  if (type === undefined) return [];
  const value = parseJson(body);
  if (typeof type === 'string') return state.csdl.check(type, value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['$: expected the action parameters as a JSON object'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const t = type[k];
    if (t === undefined) out.push(`$: The parameter '${k}' is not in scope.`);
    else out.push(...state.csdl.check(t, v, `$.${k}`));
  }
  return out;
}

/** The response check: CSDL type, or the documented shape for routes the CSDL lacks. */
export function responseViolations(state: ServerState, reply: Reply): string[] {
  if (reply.shapeCheck) return reply.shapeCheck(reply.json);
  if (!reply.csdlType || reply.json === undefined) return [];
  const collection = /^Collection\(/.test(reply.csdlType);
  if (!collection) return state.csdl.check(reply.csdlType, reply.json);
  const body = reply.json as Record<string, unknown>;
  const extra = Object.keys(body).filter((k) => k !== 'value' && !k.includes('@'));
  return [...extra.map((k) => `$: unexpected property '${k}' beside value`), ...state.csdl.check(reply.csdlType, body['value'], '$.value')];
}

export function refusalReply(status: number, code: string, message: string, retryAfterSeconds: number): Reply {
  return {
    status,
    json: errorBody(code, message, undefined, randomUUID(), new Date()),
    headers: { 'Retry-After': String(retryAfterSeconds) },
  };
}

export function errorReply(err: GraphError, req?: GraphRequest): Reply {
  return {
    status: err.status,
    json: errorBody(err.code, err.message, req?.headers['client-request-id'], randomUUID(), new Date()),
    headers: err.headers,
  };
}

/**
 * Runs `handle` within Exchange Online's limits for `key` (application id | mailbox id): a 429
 * reply when over one of them; otherwise held `responseDelayMs` (tests build concurrency so)
 * and counted in flight until it is done.
 */
export async function underLimits(
  state: ServerState,
  key: string,
  uploadBytes: number,
  handle: () => Reply | Promise<Reply>,
): Promise<Reply> {
  const admitted = state.throttle.admit(key, uploadBytes);
  if ('status' in admitted) return refusalReply(admitted.status, admitted.code, admitted.message, admitted.retryAfterSeconds);
  try {
    if (state.throttle.responseDelayMs > 0) await new Promise((r) => setTimeout(r, state.throttle.responseDelayMs));
    return await handle();
  } finally {
    admitted.release();
  }
}

export type Dispatcher = (req: GraphRequest, caller: Caller) => Promise<Reply>;

export function makeDispatcher(state: ServerState, routes: Route[], log: ValidationLog): Dispatcher {
  const run = async (req: GraphRequest, caller: Caller): Promise<Reply> => {
    const injected = state.throttle.injected();
    if (injected) return refusalReply(injected.status, injected.code, injected.message, injected.retryAfterSeconds);
    const candidates = routes.filter((r) => (r.version ?? 'v1.0') === req.version || (r.version === undefined && req.version === 'beta'));
    const found = candidates.map((route) => ({ route, params: match(route, req.segments) })).filter((m) => m.params);
    if (found.length === 0)
      throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${req.segments[req.segments.length - 1] ?? ''}'.`);
    const hit = found.find((m) => m.route.method === req.method);
    if (!hit) throw new GraphError(405, 'Request_BadRequest', `The ${req.method} method is not allowed on this resource.`);
    const { route } = hit;
    const params = hit.params!;
    const missing = missingPermission(caller, route.permissions);
    if (missing) throw new GraphError(403, 'ErrorAccessDenied', `Access is denied. Check credentials and try again. ${missing}`);
    const mailbox = resolveMailbox(state, params);
    state.requestLog.push({
      method: req.method,
      route: route.path.join('/'),
      ...(mailbox ? { mailbox: mailbox.smtp } : {}),
      ...(params['folder'] !== undefined ? { folder: params['folder'] } : {}),
      query: [...req.query.keys()],
      ...(req.batched ? { batched: true } : {}),
    });
    const scope = state.appScopes.get(caller.appId);
    // RBAC for Applications fences Exchange permissions; the mailbox id lookup (User.Read.All, a directory permission) is not fenced.
    if (mailbox && scope && !scope.has(mailbox.id) && !route.permissions.app.includes(PERMISSION.userRead)) {
      throw new GraphError(
        403,
        'ErrorAccessDenied',
        `Access is denied. Check credentials and try again. The application is limited to some mailboxes (RBAC for Applications) and ${mailbox.smtp} is outside its management scope.`,
      );
    }
    if (route.requestType !== undefined) {
      log.requestsChecked++;
      const violations = requestViolations(state, route, req.body);
      if (violations.length) {
        log.requestFailures.push(`${req.method} ${req.segments.join('/')}: ${violations.join('; ')}`);
        throw badRequest(violations[0]!.replace(/^\$[^:]*: /, ''), 'RequestBodyRead');
      }
    }
    const ctx: RouteContext = { state, req, caller, params, ...(mailbox ? { mailbox } : {}) };
    return underLimits(state, `${caller.appId}|${mailbox?.id ?? 'tenant'}`, req.body.length, () => route.handle(ctx));
  };
  return async (req, caller) => {
    let reply: Reply;
    try {
      reply = await run(req, caller);
    } catch (err) {
      if (err instanceof GraphError) return errorReply(err, req);
      throw err;
    }
    return checked(state, log, `${req.method} /${req.version}/${req.segments.join('/')}`, reply);
  };
}

/** Checks a reply this server is about to send; a bad one is recorded and becomes a 500. */
export function checked(state: ServerState, log: ValidationLog, what: string, reply: Reply): Reply {
  if (!reply.csdlType && !reply.shapeCheck) return reply;
  log.responsesChecked++;
  const violations = responseViolations(state, reply);
  if (violations.length === 0) return reply;
  const why = `${what} response: ${violations.join('; ')}`;
  log.responseFailures.push(why);
  console.error(`Graph test server sent a CSDL-invalid response — ${why}`);
  return errorReply(new GraphError(500, 'InternalServerError', why));
}
