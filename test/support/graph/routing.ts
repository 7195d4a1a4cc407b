/**
 * The Graph test server's request model: one parsed request (from HTTP or from a `$batch`
 * entry), the route table's shape, Graph's error shape, and paging tokens.
 */
import type { CsdlChecker } from './csdl.js';
import type { GraphLimits, GraphThrottle } from './limits.js';
import type { Caller, RoutePermissions } from './permissions.js';
import type { GraphMailbox, GraphStore } from './store.js';

export interface GraphRequest {
  method: string;
  version: 'v1.0' | 'beta';
  /** Path segments after the version, percent-decoded. */
  segments: string[];
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  /** One request of a `$batch`. */
  batched?: boolean;
}

export interface Reply {
  status: number;
  /** JSON body; checked against `csdlType` when given. */
  json?: unknown;
  /** A raw body (MIME from $value); sent as is with `contentType`. */
  raw?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** The CSDL type of `json` (`Collection(…)` means `json.value` holds the collection). */
  csdlType?: string;
  /** For bodies the CSDL lacks (importItem): the shape check to run instead. */
  shapeCheck?: (body: unknown) => string[];
}

export interface ImportSession {
  token: string;
  mailboxId: string;
  appId: string;
  expiresAt: number;
}

/** What every route handler can reach. */
export interface ServerState {
  store: GraphStore;
  csdl: CsdlChecker;
  throttle: GraphThrottle;
  limits: GraphLimits;
  /** `http://127.0.0.1:P` (stands for https://graph.microsoft.com). */
  base: string;
  now(): number;
  importSessionLifetimeMs: number;
  acceptEwsExport: boolean;
  /** importItem requests refused because they carried an EWS export stream (acceptEwsExport off). */
  ewsExportRefusals: number;
  sessions: Map<string, ImportSession>;
  /** Items created through POST /groups/{id}/threads. */
  threadCount: number;
  /** Who posted each group thread (thread id → upn): a post is stored as sent by the signed-in user. */
  threadAuthors: Map<string, string>;
  /** Apps fenced to some mailboxes (RBAC for Applications): client id → mailbox ids in scope. */
  appScopes: Map<string, Set<string>>;
  /** Every routed request, in arrival order (tests assert on what a client asked). */
  requestLog: LoggedRequest[];
  /** When delta links stop working (Exchange Online drops old sync states from its cache): see DeltaLinkExpiry. */
  deltaLinks: DeltaLinkExpiry;
}

/**
 * Exchange Online keeps a bounded cache of sync states: an old delta link is answered 410 Gone
 * (`syncStateNotFound` or `resyncRequired`, GRAPH.md) and the client must list from scratch.
 * Every delta token carries the generation and the server time it was issued at; a token from an
 * earlier generation (`expireDeltaLinks()`), or older than `lifetimeMs`, is gone.
 */
export interface DeltaLinkExpiry {
  generation: number;
  /** The error code the 410 carries. */
  code: 'syncStateNotFound' | 'resyncRequired';
  /** Delta links older than this (server clock) are gone; none expire by age when absent. */
  lifetimeMs?: number;
  /** 410 answers given so far. */
  refused: number;
}

/** One request as the request log keeps it: the route's pattern, never a token or an import URL. */
export interface LoggedRequest {
  method: string;
  /** The matched route, e.g. `admin/exchange/mailboxes/:mbx/folders/:folder/items/delta`; `importItem` for an import URL. */
  route: string;
  /** The mailbox's smtp address, when the route acts on one. */
  mailbox?: string;
  /** The folder id in the path, when the route names one. */
  folder?: string;
  /** The names of the query options sent (`$deltatoken`, `$skiptoken`, …), not their values. */
  query: string[];
  /** Inside a `$batch`. */
  batched?: boolean;
}

export interface RouteContext {
  state: ServerState;
  req: GraphRequest;
  caller: Caller;
  params: Record<string, string>;
  /** The mailbox the route acts on (resolved from `:mbx` or `:user`), when it has one. */
  mailbox?: GraphMailbox;
}

export interface Route {
  method: string;
  /** Segments; `:name` binds a parameter. */
  path: string[];
  version?: 'v1.0' | 'beta';
  permissions: RoutePermissions;
  /** The CSDL type (or action parameters) the request body must match, when it has one. */
  requestType?: string | Record<string, string>;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function notFound(what: string): GraphError {
  return new GraphError(404, 'ErrorItemNotFound', `The specified object was not found in the store. (${what})`);
}

export function badRequest(message: string, code = 'BadRequest'): GraphError {
  return new GraphError(400, code, message);
}

/** Graph's error body. */
export function errorBody(code: string, message: string, clientRequestId: string | undefined, requestId: string, date: Date): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        'request-id': requestId,
        date: date.toISOString().replace(/\.\d{3}Z$/, ''),
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

export function encodeToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken(token: string, name: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch {
    // falls through to the error
  }
  throw badRequest(`The ${name} is not valid. Use the link exactly as the server returned it.`, 'InvalidRequest');
}

const DEFAULT_PAGE = 10;
const MAX_PAGE = 1000;

/** Page size from `Prefer: odata.maxpagesize=N` or `$top`; and whether the preference was applied. */
export function pageSize(req: GraphRequest): { size: number; applied?: string } {
  const prefer = /odata\.maxpagesize=(\d+)/i.exec(req.headers['prefer'] ?? '');
  const top = req.query.get('$top');
  if (top !== null && !/^\d+$/.test(top)) throw badRequest(`Invalid $top value '${top}': use a whole number.`);
  if (prefer) {
    const size = Math.min(MAX_PAGE, Math.max(1, Number(prefer[1])));
    return { size: top ? Math.min(size, Number(top)) : size, applied: `odata.maxpagesize=${size}` };
  }
  return { size: top ? Math.min(MAX_PAGE, Math.max(1, Number(top))) : DEFAULT_PAGE };
}
