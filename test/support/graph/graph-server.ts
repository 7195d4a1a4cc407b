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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestIssuer, type TokenClaims, createTestIssuer, mintToken } from '../entra.js';
import { type TokenEndpoint, startTokenEndpoint } from '../entra-endpoint.js';
import { CsdlChecker } from './csdl.js';
import { type ValidationLog, makeDispatcher, newValidationLog } from './dispatch.js';
import { GRAPH_RESOURCE, frontDoor } from './front-door.js';
import { EXCHANGE_ONLINE_LIMITS, type GraphLimits, GraphThrottle } from './limits.js';
import { ALL_APP_PERMISSIONS } from './permissions.js';
import { GROUP_ROUTES } from './routes-groups.js';
import { MAILBOX_ROUTES } from './routes-mailbox.js';
import { CALENDAR_ROUTES } from './routes-calendars.js';
import { SETTINGS_ROUTES } from './routes-settings.js';
import { TRANSFER_ROUTES } from './routes-transfer.js';
import type { LoggedRequest, ServerState } from './routing.js';
import { type GraphReader, type GraphSeeder, makeReader, makeSeeder } from './seed.js';
import { GraphStore } from './store.js';

export { GRAPH_RESOURCE } from './front-door.js';
const DEFAULT_SESSION_LIFETIME_MS = 60 * 60_000;

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
  /** Delta links older than this (server clock) answer 410 Gone; they never expire by age when absent. */
  deltaLinkLifetimeMs?: number;
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
  /** Every routed request so far, oldest first (route patterns and query option names only): what a client asked. */
  requestLog: LoggedRequest[];
  /** The server's clock (import session expiry, budget windows): `advance(ms)` moves it. */
  clock: { now(): number; advance(ms: number): void };
  acceptEwsExport: boolean;
  /** importItem requests refused because they carried an EWS export stream the server does not accept. */
  readonly ewsExportRefusals: number;
  /**
   * Drops every sync state handed out so far, as Exchange Online does when its cache evicts them:
   * each delta link issued before this call answers 410 Gone with `code` (default
   * `syncStateNotFound`); links issued afterwards work.
   */
  expireDeltaLinks(code?: 'syncStateNotFound' | 'resyncRequired'): void;
  /** Delta links answered 410 Gone so far. */
  readonly deltaLinksRefused: number;
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
    {
      resource: GRAPH_RESOURCE,
      defaultRoles: ALL_APP_PERMISSIONS,
      defaultDelegated: DEFAULT_DELEGATED,
      knownUser: (upn) => people.has(upn.toLowerCase()),
      port: options.tokenPort ?? 0,
      domains: [options.tenant],
      ...(options.tokenLifetimeS !== undefined ? { tokenLifetimeS: options.tokenLifetimeS } : {}),
    },
  );
  let offset = 0;
  const clock = {
    now: () => Date.now() + offset,
    advance: (ms: number): void => {
      offset += ms;
    },
  };
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
    ewsExportRefusals: 0,
    sessions: new Map(),
    threadCount: 0,
    threadAuthors: new Map(),
    appScopes: new Map(
      options.apps.filter((a) => a.mailboxes).map((a) => [a.clientId, new Set(a.mailboxes!.map((m) => store.mailbox(m).id))]),
    ),
    requestLog: [],
    deltaLinks: {
      generation: 0,
      code: 'syncStateNotFound',
      refused: 0,
      ...(options.deltaLinkLifetimeMs !== undefined ? { lifetimeMs: options.deltaLinkLifetimeMs } : {}),
    },
  };
  const dispatch = makeDispatcher(
    state,
    [...MAILBOX_ROUTES, ...TRANSFER_ROUTES, ...SETTINGS_ROUTES, ...CALENDAR_ROUTES, ...GROUP_ROUTES],
    log,
  );

  const server = createServer(frontDoor(state, issuer, log, dispatch));
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
    requestLog: state.requestLog,
    throttle: state.throttle,
    limits,
    clock,
    get acceptEwsExport() {
      return state.acceptEwsExport;
    },
    set acceptEwsExport(on: boolean) {
      state.acceptEwsExport = on;
    },
    get ewsExportRefusals() {
      return state.ewsExportRefusals;
    },
    expireDeltaLinks(code = 'syncStateNotFound') {
      state.deltaLinks.generation++;
      state.deltaLinks.code = code;
    },
    get deltaLinksRefused() {
      return state.deltaLinks.refused;
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
