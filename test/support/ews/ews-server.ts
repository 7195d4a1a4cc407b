/**
 * An EWS test server as strict as Exchange where migration depends on it: SOAP at
 * /EWS/Exchange.asmx on 127.0.0.1, Basic auth, in-memory mailboxes, and Microsoft's schema
 * checked on EVERY request received (failure → the ErrorSchemaValidation fault Exchange sends)
 * and EVERY response sent (failure → HTTP 500 and a recorded failure that makes close() throw,
 * because that is a bug in this server, never in the client under test).
 *
 * Also: Exchange Online Bearer tokens (app-only `full_access_as_app` through ExchangeImpersonation,
 * or delegated `EWS.AccessAsUser.All`) from a test issuer, with a local Entra token endpoint
 * (auth.ts); runtime throttling switches (throttle.ts); Microsoft 365 Groups mailboxes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type OAuthApp,
  type TestIssuer,
  type TokenClaims,
  type TokenEndpoint,
  bearerChallenge,
  createTestIssuer,
  mintToken,
  startTokenEndpoint,
  verifyBearer,
} from './auth.js';
import { MailboxStore, type Mailbox, type Principal } from './mailbox-store.js';
import { OPERATIONS } from './operations/index.js';
import { withRequiredItems } from './operations/item-common.js';
import { EwsSchemaValidator, describeFailure } from './schema-validator.js';
import {
  EXCHANGE_VERSIONS,
  EwsError,
  type EwsContext,
  type ExchangeVersion,
  VERSION_WHEN_ABSENT,
  errorMessage,
  errorMessageWithValues,
  faultEnvelope,
  faultWithValues,
  folderIdElements,
  resolveFolder,
  responseEnvelope,
} from './soap.js';
import { CONCURRENCY_MESSAGE, SERVER_BUSY_MESSAGE, Throttle, concurrencyDetails } from './throttle.js';
import { NS, type XmlElement, child, parseXml } from './xml.js';

export const EWS_PATH = '/EWS/Exchange.asmx';
const HTTP_OK = 200;
const HTTP_UNAUTHORIZED = 401;
const HTTP_FORBIDDEN = 403;
const HTTP_NOT_FOUND = 404;
const HTTP_METHOD_NOT_ALLOWED = 405;
const HTTP_SERVER_ERROR = 500;
const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';
/**
 * Operations whose answer is a ResponseMessages list (messages.xsd ArrayOfResponseMessagesType
 * has `<Op>ResponseMessage`): the ones that can carry a per-message ErrorServerBusy. Others
 * (GetInboxRules, Get/SetUserOofSettings, …) get the fault.
 */
const RESPONSE_MESSAGE_OPERATIONS = new Set([
  'GetFolder',
  'FindFolder',
  'CreateFolder',
  'UpdateFolder',
  'DeleteFolder',
  'EmptyFolder',
  'MoveFolder',
  'CopyFolder',
  'GetItem',
  'FindItem',
  'CreateItem',
  'UpdateItem',
  'DeleteItem',
  'MoveItem',
  'CopyItem',
  'SendItem',
  'SyncFolderHierarchy',
  'SyncFolderItems',
  'ExportItems',
  'UploadItems',
  'ResolveNames',
  'GetAttachment',
  'CreateAttachment',
]);

export interface EwsGroup {
  smtp: string;
  owners?: string[];
  members?: string[];
  displayName?: string;
}

export interface EwsOAuthOptions {
  /** The token issuer (a jose key pair); made when absent. */
  issuer?: TestIssuer;
  /** Apps the local token endpoint knows (client-credentials grant); without apps no endpoint starts. */
  apps?: OAuthApp[];
  /** Port for the HTTPS token endpoint (0 = any). */
  tokenPort?: number;
}

export interface EwsAccount {
  smtp: string;
  password: string;
}

export interface EwsServerOptions {
  users: EwsAccount[];
  /** Holds FullAccess on every mailbox and the ApplicationImpersonation right; has no mailbox. */
  admin?: EwsAccount;
  /** Shared validator (one temp dir); the server makes its own when absent. */
  validator?: EwsSchemaValidator;
  /** Accept Exchange Online Bearer tokens (and serve a token endpoint when apps are given). */
  oauth?: EwsOAuthOptions;
  /** Microsoft 365 Groups mailboxes. */
  groups?: EwsGroup[];
  /** Port for EWS (0 = any free port). */
  port?: number;
  /**
   * The Exchange release this server pretends to be (default Exchange2016): it reports that
   * release in ServerVersionInfo and refuses a RequestServerVersion newer than it, as Exchange does.
   */
  serverVersion?: EmulatedRelease;
  /**
   * Exchange Online with EWS switched off for the tenant (Microsoft's 2026-10 roll-out): every
   * call answers HTTP 403 with `X-EWS-Policy-Reason` before authentication. Also switchable at runtime.
   */
  ewsDisabled?: boolean;
}

/** The header and reason Exchange Online sends when a tenant has EWS switched off (../shared/GRAPH.md). */
export const EWS_POLICY_REASON_HEADER = 'X-EWS-Policy-Reason';
export const EWS_DISABLED_REASON = 'EWS is disabled for this user or tenant';

/** ServerVersionInfo of the releases the test server can pretend to be (Exchange's own builds). */
export const EMULATED_RELEASES = {
  Exchange2007_SP1: { major: 8, minor: 1, majorBuild: 240, minorBuild: 6 },
  Exchange2010: { major: 14, minor: 0, majorBuild: 639, minorBuild: 21, version: 'Exchange2010' },
  Exchange2010_SP1: { major: 14, minor: 1, majorBuild: 218, minorBuild: 15, version: 'Exchange2010_SP1' },
  Exchange2013: { major: 15, minor: 0, majorBuild: 516, minorBuild: 32, version: 'Exchange2013' },
  Exchange2016: undefined,
} as const;
export type EmulatedRelease = keyof typeof EMULATED_RELEASES;

export interface ValidationLog {
  requestsValidated: number;
  responsesValidated: number;
  requestFailures: string[];
  responseFailures: string[];
  /** Faults the server sent (their Body is SOAP, not EWS schema; the request that caused them was checked). */
  faults: number;
  unauthorized: number;
  /** Requests authenticated with a Bearer token. */
  bearer: number;
  /** Requests whose client disconnected before the request was read to its end. */
  clientAborts: number;
}

export interface EwsTestServer {
  url: string;
  store: MailboxStore;
  validation: ValidationLog;
  validator: EwsSchemaValidator;
  /** Runtime throttling switches and their counters. */
  throttle: Throttle;
  /** The Bearer token issuer (when `oauth` was given). */
  issuer?: TestIssuer;
  /** The local Entra token endpoint (when `oauth.apps` was given). */
  tokenEndpoint?: TokenEndpoint;
  /** Adds a Microsoft 365 Groups mailbox (Inbox and Calendar only) reachable by its owners, members and the admin. */
  addGroupMailbox(smtp: string, access?: Omit<EwsGroup, 'smtp'>): Mailbox;
  /** Mints a Bearer token signed by this server's issuer (needs `oauth`). */
  mintToken(claims: TokenClaims): Promise<string>;
  /** While true every call answers 403 with X-EWS-Policy-Reason (the tenant switched EWS off). */
  ewsDisabled: boolean;
  /** Resolves after the server stopped; rejects if any response failed the schema check. */
  close(): Promise<void>;
}

export async function startEwsServer(options: EwsServerOptions): Promise<EwsTestServer> {
  const store = new MailboxStore();
  for (const u of options.users) store.addPrincipal({ ...u, fullAccess: false, impersonation: false });
  if (options.admin) store.addPrincipal({ ...options.admin, fullAccess: true, impersonation: true }, false);
  const ownValidator = !options.validator;
  const validator = options.validator ?? new EwsSchemaValidator();
  const log: ValidationLog = {
    requestsValidated: 0,
    responsesValidated: 0,
    requestFailures: [],
    responseFailures: [],
    faults: 0,
    unauthorized: 0,
    bearer: 0,
    clientAborts: 0,
  };
  for (const g of options.groups ?? []) store.addGroupMailbox(g.smtp, g);
  const throttle = new Throttle();
  const issuer = options.oauth ? (options.oauth.issuer ?? (await createTestIssuer())) : undefined;
  const tokenEndpoint =
    issuer && options.oauth?.apps?.length ? await startTokenEndpoint(issuer, options.oauth.apps, options.oauth.tokenPort) : undefined;

  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'Content-Type': XML_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fault = (res: ServerResponse, code: string, message: string, violation?: string): void => {
    log.faults++;
    send(res, HTTP_SERVER_ERROR, faultEnvelope(code, message, violation));
  };
  const faultValues = (res: ServerResponse, code: string, message: string, values: [string, string][]): void => {
    log.faults++;
    send(res, HTTP_SERVER_ERROR, faultWithValues(code, message, values));
  };
  const unauthorized = (res: ServerResponse, bearerReason?: { reason: string; category: string }): void => {
    log.unauthorized++;
    const headers: Record<string, string | number> = { 'Content-Length': 0 };
    if (bearerReason) {
      // Exchange Online: a Bearer challenge with error="invalid_token" and the reason in x-ms-diagnostics.
      headers['WWW-Authenticate'] = bearerChallenge();
      headers['x-ms-diagnostics'] = `2000001;reason="${bearerReason.reason.replace(/"/g, "'")}";error_category="${bearerReason.category}"`;
    } else {
      headers['WWW-Authenticate'] = issuer
        ? `${bearerChallenge().replace(/,?\s*error="invalid_token"/, '')}, Basic realm="127.0.0.1"`
        : 'Basic realm="127.0.0.1"';
    }
    res.writeHead(HTTP_UNAUTHORIZED, headers);
    res.end();
  };

  let ewsDisabled = options.ewsDisabled ?? false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (ewsDisabled) {
      res.writeHead(HTTP_FORBIDDEN, { [EWS_POLICY_REASON_HEADER]: EWS_DISABLED_REASON, 'Content-Length': 0 });
      return void res.end();
    }
    if ((req.url ?? '').split('?')[0]!.toLowerCase() !== EWS_PATH.toLowerCase()) return void send(res, HTTP_NOT_FOUND, '');
    // The front door refuses before anything else when a 503/429 storm is switched on.
    const refusal = throttle.httpRefusal();
    if (refusal) {
      const text = refusal.status === 503 ? 'Service Unavailable' : 'Too Many Requests';
      res.writeHead(refusal.status, {
        'Retry-After': String(refusal.retryAfterSeconds),
        'Content-Type': 'text/plain',
        'Content-Length': Buffer.byteLength(text),
      });
      return void res.end(text);
    }
    const auth = await authenticate(store, req.headers.authorization, issuer);
    if (!auth.principal) return unauthorized(res, auth.bearerFailure);
    const principal = auth.principal;
    if (principal.bearer) log.bearer++;
    if (req.method !== 'POST') return void send(res, HTTP_METHOD_NOT_ALLOWED, '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const requestXml = Buffer.concat(chunks).toString('utf8');

    const checked = await validator.validateSoap(requestXml);
    log.requestsValidated++;
    if (!checked.valid) {
      const why = describeFailure(checked);
      log.requestFailures.push(`${checked.bodyElement || '?'}: ${why}`);
      return fault(res, 'ErrorSchemaValidation', 'The request failed schema validation.', why);
    }
    const envelope = parseXml(requestXml);
    const header = child(envelope, NS.soap, 'Header');
    const operation = child(envelope, NS.soap, 'Body')!.children[0]!;
    const handler = operation.ns === NS.messages ? OPERATIONS[operation.local] : undefined;
    if (!handler) return fault(res, 'ErrorInvalidRequest', `The EWS test server does not implement ${operation.local}.`);

    const version = (child(header, NS.types, 'RequestServerVersion')?.attrs['Version'] ?? VERSION_WHEN_ABSENT) as ExchangeVersion;
    if (!EXCHANGE_VERSIONS.includes(version)) return fault(res, 'ErrorInvalidServerVersion', 'The specified server version is invalid.');
    const release = options.serverVersion ?? 'Exchange2016';
    if (EXCHANGE_VERSIONS.indexOf(version) > EXCHANGE_VERSIONS.indexOf(release)) {
      return fault(res, 'ErrorInvalidServerVersion', 'The specified server version is invalid.');
    }
    let mailbox = principal.smtp.toLowerCase();
    const impersonation = child(child(header, NS.types, 'ExchangeImpersonation'), NS.types, 'ConnectingSID');
    // Exchange Online's OAuth rules (faults seen in OfficeDev/ews-managed-api#245 and #212): an
    // app-only token acts only through ExchangeImpersonation; a delegated token never may.
    if (principal.bearer === 'app' && !impersonation) {
      return fault(
        res,
        'ErrorInvalidExchangeImpersonationHeaderData',
        'ExchangeImpersonation SOAP header must be present for this type of OAuth token.',
      );
    }
    if (principal.bearer === 'user' && impersonation) {
      return fault(
        res,
        'ErrorInvalidExchangeImpersonationHeaderData',
        'ExchangeImpersonation SOAP header must not exist for this type of OAuth token.',
      );
    }
    if (impersonation) {
      const target = (impersonation.children[0]?.text ?? '').trim().toLowerCase();
      // Exchange refuses the whole request (a fault, not a response message) without the right.
      if (!principal.impersonation)
        return fault(res, 'ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
      const targetMbx = store.mailbox(target);
      if (!targetMbx) return fault(res, 'ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it: ${target}`);
      // A Groups mailbox is no user: the impersonation scope (ApplicationImpersonation, or an
      // app's full_access_as_app) does not cover it, and Exchange Online answers as for any user
      // outside the scope (OfficeDev/ews-managed-api#166, dseph/EwsEditor#7: group mailboxes are
      // reached by delegation with X-AnchorMailbox, not impersonation).
      if (targetMbx.kind === 'group')
        return fault(res, 'ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
      mailbox = target;
    }

    // EWSMaxConcurrency: the caller's budget, or with impersonation the target mailbox's.
    const budgetKey = impersonation ? `mailbox:${mailbox}` : `caller:${principal.smtp.toLowerCase()}`;
    if (!throttle.enter(budgetKey)) {
      return faultValues(res, 'ErrorExceededConnectionCount', CONCURRENCY_MESSAGE, concurrencyDetails(throttle.maxConcurrency));
    }
    let responseXml: string;
    try {
      if (throttle.responseDelayMs > 0) await new Promise((r) => setTimeout(r, throttle.responseDelayMs));
      const busy = throttle.serverBusy();
      const backOff: [string, string][] | undefined = busy
        ? [['BackOffMilliseconds', String(Math.max(0, Math.round(busy.backOffMs)))]]
        : undefined;
      if (busy && (busy.shape === 'fault' || !RESPONSE_MESSAGE_OPERATIONS.has(operation.local))) {
        return faultValues(res, 'ErrorServerBusy', SERVER_BUSY_MESSAGE, backOff!);
      }
      const ctx: EwsContext = { store, principal, mailbox, version };
      responseXml = busy
        ? responseEnvelope(operation.local, [
            withRequiredItems(
              operation.local,
              errorMessageWithValues(operation.local, new EwsError('ErrorServerBusy', SERVER_BUSY_MESSAGE), backOff!),
            ),
          ])
        : (groupGuard(operation, ctx) ?? handler(operation, ctx));
    } finally {
      throttle.leave(budgetKey);
    }
    responseXml = reportRelease(responseXml, options.serverVersion);
    const out = await validator.validateSoap(responseXml);
    log.responsesValidated++;
    if (!out.valid) {
      const why = `${operation.local} response: ${describeFailure(out)}`;
      log.responseFailures.push(why);
      console.error(`EWS test server sent a schema-invalid response — ${why}`);
      return void send(res, HTTP_SERVER_ERROR, faultEnvelope('ErrorInternalServerError', why));
    }
    send(res, HTTP_OK, responseXml);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The client went away while sending (a worker killed mid-request): nothing to answer, and
      // not a fault of this server. Exchange drops such a request the same way.
      if (req.destroyed && ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted')) {
        log.clientAborts++;
        return;
      }
      const why = `${(err as Error).stack ?? String(err)}`;
      log.responseFailures.push(`server error: ${why}`);
      console.error(`EWS test server crashed on a request — ${why}`);
      if (!res.headersSent) send(res, HTTP_SERVER_ERROR, faultEnvelope('ErrorInternalServerError', 'test server error'));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${EWS_PATH}`,
    store,
    validation: log,
    validator,
    throttle,
    ...(issuer ? { issuer } : {}),
    ...(tokenEndpoint ? { tokenEndpoint } : {}),
    addGroupMailbox: (smtp, access = {}) => store.addGroupMailbox(smtp, access),
    get ewsDisabled() {
      return ewsDisabled;
    },
    set ewsDisabled(on: boolean) {
      ewsDisabled = on;
    },
    async mintToken(claims) {
      if (!issuer) throw new Error('startEwsServer({ oauth: {} }) is needed to mint tokens');
      return mintToken(issuer, claims);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await tokenEndpoint?.close();
      if (ownValidator) validator.dispose();
      if (log.responseFailures.length > 0) {
        throw new Error(
          `EWS test server sent ${log.responseFailures.length} schema-invalid response(s):\n${log.responseFailures.join('\n')}`,
        );
      }
    },
  };
}

interface AuthResult {
  principal?: Principal;
  /** Set when a Bearer token was refused (→ Exchange Online's Bearer challenge). */
  bearerFailure?: { reason: string; category: string };
}

async function authenticate(store: MailboxStore, header: string | undefined, issuer: TestIssuer | undefined): Promise<AuthResult> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (bearer) {
    if (!issuer) return {};
    const checked = await verifyBearer(issuer, bearer[1]!);
    if (!checked.ok) return { bearerFailure: { reason: checked.reason, category: checked.category } };
    const id = checked.identity;
    if (id.kind === 'app') {
      // full_access_as_app: every mailbox, but only through ExchangeImpersonation.
      return { principal: { smtp: `app:${id.appId}`, password: '', fullAccess: false, impersonation: true, bearer: 'app' } };
    }
    const user = store.principals.get(id.upn);
    if (!user && !store.mailbox(id.upn))
      return { bearerFailure: { reason: `The user '${id.upn}' has no mailbox in this organization.`, category: 'invalid_user' } };
    // Delegated: the signed-in user's own rights, never impersonation.
    return { principal: { smtp: id.upn, password: '', fullAccess: user?.fullAccess ?? false, impersonation: false, bearer: 'user' } };
  }
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return {};
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return {};
  const p = store.principals.get(decoded.slice(0, colon).toLowerCase());
  return p && p.password === decoded.slice(colon + 1) ? { principal: p } : {};
}

/**
 * Groups mailboxes have a fixed folder set: CreateFolder under one is refused per folder with
 * ErrorAccessDenied (this server's choice; Exchange Online offers no folder creation in a
 * Groups mailbox through EWS). Returns the whole response, or undefined to run the operation.
 */
function groupGuard(operation: XmlElement, ctx: EwsContext): string | undefined {
  if (operation.local !== 'CreateFolder') return undefined;
  const parentEl = folderIdElements(child(operation, NS.messages, 'ParentFolderId'))[0];
  if (!parentEl) return undefined;
  let isGroup = false;
  try {
    isGroup = resolveFolder(ctx, parentEl).mbx.kind === 'group';
  } catch {
    return undefined; // the operation itself reports the bad parent
  }
  if (!isGroup) return undefined;
  const specs = child(operation, NS.messages, 'Folders')?.children ?? [];
  const denied = new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  return responseEnvelope(
    'CreateFolder',
    specs.map(() => errorMessage('CreateFolder', denied)),
  );
}

/** Rewrites the ServerVersionInfo header the operations write (Exchange 2016's) for an emulated older release. */
function reportRelease(xml: string, release: EmulatedRelease | undefined): string {
  const info = release ? EMULATED_RELEASES[release] : undefined;
  if (!info) return xml;
  return xml.replace(
    /<h:ServerVersionInfo [^>]*\/>/,
    () =>
      `<h:ServerVersionInfo MajorVersion="${info.major}" MinorVersion="${info.minor}" MajorBuildNumber="${info.majorBuild}" ` +
      `MinorBuildNumber="${info.minorBuild}"${'version' in info ? ` Version="${info.version}"` : ''} xmlns:h="${NS.types}"/>`,
  );
}
