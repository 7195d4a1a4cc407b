/**
 * A Microsoft Graph test server as strict as Exchange Online where a migration depends on it:
 * the mailbox import/export API (../shared/GRAPH.md) on http://127.0.0.1 (standing for
 * https://graph.microsoft.com), app-only tokens from a local HTTPS Entra endpoint (../entra.ts,
 * the same one the EWS test server uses), permissions from the token's `roles`, Exchange
 * Online's limits per application and mailbox, and the v1.0 CSDL checked on every request body
 * received and every response sent for CSDL-described resources (a bad response is a bug in
 * this server: recorded, answered 500, and close() rejects, as the EWS test server does).
 *
 * The `importUrl` lives on the same host under /api/gv1.0/… and takes only its own `authtoken`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestIssuer, type TokenClaims, createTestIssuer, mintToken, verifyToken } from '../entra.js';
import { type TokenEndpoint, startTokenEndpoint } from '../entra-endpoint.js';
import { runBatch } from './batch.js';
import { CsdlChecker } from './csdl.js';
import { type ValidationLog, checked, errorReply, makeDispatcher, newValidationLog, parsePath, refusalReply } from './dispatch.js';
import { EXCHANGE_ONLINE_LIMITS, type GraphLimits, GraphThrottle } from './limits.js';
import { ALL_APP_PERMISSIONS, type Caller } from './permissions.js';
import { GROUP_ROUTES } from './routes-groups.js';
import { MAILBOX_ROUTES } from './routes-mailbox.js';
import { TRANSFER_ROUTES, importItem } from './routes-transfer.js';
import { type GraphError as GraphErrorType, type Reply, type ServerState, GraphError } from './routing.js';
import { type GraphReader, type GraphSeeder, makeReader, makeSeeder } from './seed.js';
import { GraphStore } from './store.js';

/** Graph's resource: the `aud` of its tokens and the `/.default` scope's prefix. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const IMPORT_PATH = /^\/api\/gv1\.0\/Mailboxes\('([^']+)'\)\/importItem$/i;
const DEFAULT_SESSION_LIFETIME_MS = 60 * 60_000;
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export interface GraphApp {
  clientId: string;
  /** The client secret (msal-node `clientSecret`). */
  secret?: string;
  /** The public certificate (PEM) registered for the app (msal-node `clientCertificate` with its private key). */
  certificatePem?: string;
  /** Application permissions granted (admin consent given); every one Mailferry uses when absent. */
  permissions?: string[];
  /** Delegated permissions consented (device code sign-in); DEFAULT_DELEGATED when absent. */
  delegated?: string[];
  /** RBAC for Applications: the mailboxes (smtp) the app may reach; all when absent. */
  mailboxes?: string[];
}

/** Delegated permissions an app has unless it names its own: what the Groups path needs. */
export const DEFAULT_DELEGATED = ['Group.ReadWrite.All', 'Group.Read.All', 'User.Read'];

export interface GraphServerOptions {
  /** The tenant's domain, e.g. contoso.onmicrosoft.com (the token authority uses a made-up tenant id). */
  tenant: string;
  users?: string[];
  shared?: string[];
  groups?: string[];
  apps: GraphApp[];
  /** Exchange Online's values unless given (smaller ones make tests quick). */
  limits?: Partial<GraphLimits>;
  importSessionLifetimeMs?: number;
  /** Access token lifetime in seconds (default 3600); a short one makes a client renew its token. */
  tokenLifetimeS?: number;
  /** Whether importItem also takes the EWS test server's ExportItems streams (default false). */
  acceptEwsExport?: boolean;
  port?: number;
  tokenPort?: number;
}

export interface GraphTestServer {
  /** `http://127.0.0.1:P`: replaces https://graph.microsoft.com (paths /v1.0/… and /beta/…). */
  graphUrl: string;
  tenantId: string;
  tenant: string;
  tokenEndpoint: TokenEndpoint;
  issuer: TestIssuer;
  store: GraphStore;
  validation: ValidationLog;
  throttle: GraphThrottle;
  limits: GraphLimits;
  /** The server's clock (import session expiry, budget windows): `advance(ms)` moves it. */
  clock: { now(): number; advance(ms: number): void };
  acceptEwsExport: boolean;
  seed: GraphSeeder;
  read: GraphReader;
  /** The primaryMailboxId of a user or shared mailbox (tests only: a client must look it up). */
  mailboxId(smtp: string): string;
  /** The directory object id of a user or group. */
  objectId(smtp: string): string;
  /** Import sessions handed out (their urls carry tokens: never log them). */
  importSessions(): { mailboxId: string; expiresAt: Date }[];
  /** Mints a token signed by this server's issuer for Graph (a delegated one with `scp` and `upn`). */
  mintToken(claims: Omit<TokenClaims, 'aud'> & { aud?: string }): Promise<string>;
  /** Resolves after both servers stopped; rejects if any response failed its own check. */
  close(): Promise<void>;
}

function callerOf(payload: Record<string, unknown>): Caller | string {
  const appId = String(payload['appid'] ?? payload['azp'] ?? '');
  const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ').filter(Boolean) : [];
  if (scp.length > 0) {
    const upn = String(payload['upn'] ?? payload['preferred_username'] ?? '');
    if (!upn) return 'A delegated token needs the signed-in user (upn).';
    return { kind: 'user', appId, upn: upn.toLowerCase(), scopes: scp };
  }
  const roles = Array.isArray(payload['roles']) ? payload['roles'].map(String) : [];
  return { kind: 'app', appId, roles };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply, clientRequestId: string | undefined): void {
  const requestId = randomUUID();
  const headers: Record<string, string | number> = { 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId, ...(reply.headers ?? {}) };
  let body: Buffer | undefined;
  if (reply.raw) {
    body = reply.raw;
    headers['Content-Type'] = reply.contentType ?? 'application/octet-stream';
  } else if (reply.json !== undefined) {
    body = Buffer.from(JSON.stringify(reply.json), 'utf8');
    headers['Content-Type'] = JSON_TYPE;
  }
  headers['Content-Length'] = body?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(body);
}

export async function startGraphServer(options: GraphServerOptions): Promise<GraphTestServer> {
  const issuer = await createTestIssuer(randomUUID());
  const people = new Set([...(options.users ?? []), ...(options.shared ?? [])].map((u) => u.toLowerCase()));
  const tokenEndpoint = await startTokenEndpoint(
    issuer,
    options.apps.map((a) => ({
      clientId: a.clientId,
      ...(a.secret !== undefined ? { clientSecret: a.secret } : {}),
      ...(a.certificatePem ? { certificatePem: a.certificatePem } : {}),
      roles: a.permissions ?? ALL_APP_PERMISSIONS,
      delegated: a.delegated ?? DEFAULT_DELEGATED,
    })),
    { resource: GRAPH_RESOURCE, defaultRoles: ALL_APP_PERMISSIONS, defaultDelegated: DEFAULT_DELEGATED, knownUser: (upn) => people.has(upn.toLowerCase()), port: options.tokenPort ?? 0,
      ...(options.tokenLifetimeS !== undefined ? { tokenLifetimeS: options.tokenLifetimeS } : {}) },
  );
  let offset = 0;
  const clock = { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
  const store = new GraphStore(issuer.tenantId, () => new Date(clock.now()));
  for (const u of options.users ?? []) store.addMailbox(u, 'user');
  for (const s of options.shared ?? []) store.addMailbox(s, 'shared');
  for (const g of options.groups ?? []) store.addMailbox(g, 'group');
  const limits = { ...EXCHANGE_ONLINE_LIMITS, ...(options.limits ?? {}) };
  const log = newValidationLog();
  const state: ServerState = {
    store,
    csdl: new CsdlChecker(),
    throttle: new GraphThrottle(limits, clock.now),
    limits,
    base: '',
    now: clock.now,
    importSessionLifetimeMs: options.importSessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS,
    acceptEwsExport: options.acceptEwsExport ?? false,
    sessions: new Map(),
    threadCount: 0,
    appScopes: new Map(options.apps.filter((a) => a.mailboxes).map((a) => [a.clientId, new Set(a.mailboxes!.map((m) => store.mailbox(m).id))])),
  };
  const dispatch = makeDispatcher(state, [...MAILBOX_ROUTES, ...TRANSFER_ROUTES, ...GROUP_ROUTES], log);

  const authenticate = async (header: string | undefined): Promise<Caller | GraphErrorType> => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!bearer) return new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const checkedToken = await verifyToken(issuer, bearer[1]!, GRAPH_RESOURCE);
    if (!checkedToken.ok) return new GraphError(401, 'InvalidAuthenticationToken', checkedToken.reason);
    const caller = callerOf(checkedToken.payload);
    return typeof caller === 'string' ? new GraphError(401, 'InvalidAuthenticationToken', caller) : caller;
  };

  const importUrlRequest = async (req: IncomingMessage, url: URL, mailboxId: string): Promise<Reply> => {
    const token = url.searchParams.get('authtoken') ?? '';
    const session = state.sessions.get(token);
    if (!session || session.mailboxId !== mailboxId) return errorReply(new GraphError(401, 'InvalidAuthenticationToken', 'The authtoken of this import URL is not valid for this mailbox. Use the importUrl createImportSession returned, unchanged.'));
    if (clock.now() >= session.expiresAt) {
      return errorReply(new GraphError(401, 'InvalidAuthenticationToken', `The import session expired at ${new Date(session.expiresAt).toISOString()}. Create a new one with createImportSession.`));
    }
    if (req.method !== 'POST') return errorReply(new GraphError(405, 'Request_BadRequest', 'importItem takes POST only.'));
    const body = await readBody(req);
    const injected = state.throttle.injected();
    if (injected) return refusalReply(injected.status, injected.code, injected.message, injected.retryAfterSeconds);
    const admitted = state.throttle.admit(`${session.appId}|${session.mailboxId}`, body.length);
    if ('status' in admitted) return refusalReply(admitted.status, admitted.code, admitted.message, admitted.retryAfterSeconds);
    try {
      if (state.throttle.responseDelayMs > 0) await new Promise((r) => setTimeout(r, state.throttle.responseDelayMs));
      return checked(state, log, 'POST importItem', importItem(state, session, store.mailbox(session.mailboxId), body));
    } catch (err) {
      if (err instanceof GraphError) return errorReply(err);
      throw err;
    } finally {
      admitted.release();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
    const importPath = IMPORT_PATH.exec(url.pathname);
    if (importPath) return send(res, await importUrlRequest(req, url, decodeURIComponent(importPath[1]!)), clientRequestId);
    const path = parsePath(url.pathname);
    if (!path) return send(res, errorReply(new GraphError(400, 'BadRequest', `Invalid version: use /v1.0/ or /beta/ (${url.pathname}).`)), clientRequestId);
    const caller = await authenticate(req.headers.authorization);
    if (caller instanceof GraphError) return send(res, errorReply(caller), clientRequestId);
    const body = await readBody(req);
    if (path.segments.length === 1 && path.segments[0] === '$batch') {
      if (req.method !== 'POST') return send(res, errorReply(new GraphError(405, 'Request_BadRequest', '$batch takes POST only.')), clientRequestId);
      try {
        return send(res, await runBatch(path.version, body, caller, dispatch), clientRequestId);
      } catch (err) {
        if (err instanceof GraphError) return send(res, errorReply(err), clientRequestId);
        throw err;
      }
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    send(res, await dispatch({ method: req.method ?? 'GET', version: path.version, segments: path.segments, query: url.searchParams, headers, body }, caller), clientRequestId);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (req.destroyed) return; // the client went away mid-request: nothing to answer
      const why = (err as Error).stack ?? String(err);
      log.responseFailures.push(`server error: ${why}`);
      console.error(`Graph test server crashed on a request — ${why}`);
      if (!res.headersSent) send(res, errorReply(new GraphError(500, 'InternalServerError', 'test server error')), undefined);
    });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const known = (smtp: string) => {
    const m = store.find(smtp);
    if (!m) throw new Error(`no mailbox ${smtp} on the Graph test server`);
    return m;
  };
  return {
    graphUrl: state.base,
    tenantId: issuer.tenantId,
    tenant: options.tenant,
    tokenEndpoint,
    issuer,
    store,
    validation: log,
    throttle: state.throttle,
    limits,
    clock,
    get acceptEwsExport() {
      return state.acceptEwsExport;
    },
    set acceptEwsExport(on: boolean) {
      state.acceptEwsExport = on;
    },
    seed: makeSeeder(store, clock.now),
    read: makeReader(store),
    mailboxId: (smtp) => known(smtp).id,
    objectId: (smtp) => known(smtp).objectId,
    importSessions: () => [...state.sessions.values()].map((s) => ({ mailboxId: s.mailboxId, expiresAt: new Date(s.expiresAt) })),
    mintToken: (claims) => mintToken(issuer, { ...claims, aud: claims.aud ?? GRAPH_RESOURCE }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await tokenEndpoint.close();
      if (log.responseFailures.length > 0) {
        throw new Error(`Graph test server sent ${log.responseFailures.length} invalid response(s):\n${log.responseFailures.join('\n')}`);
      }
    },
  };
}
