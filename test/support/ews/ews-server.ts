/**
 * An EWS test server as strict as Exchange where migration depends on it: SOAP at
 * /EWS/Exchange.asmx on 127.0.0.1, Basic auth, in-memory mailboxes, and Microsoft's schema
 * checked on EVERY request received (failure → the ErrorSchemaValidation fault Exchange sends)
 * and EVERY response sent (failure → HTTP 500 and a recorded failure that makes close() throw,
 * because that is a bug in this server, never in the client under test).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MailboxStore, type Principal } from './mailbox-store.js';
import { OPERATIONS } from './operations/index.js';
import { EwsSchemaValidator, describeFailure } from './schema-validator.js';
import { EXCHANGE_VERSIONS, type EwsContext, type ExchangeVersion, VERSION_WHEN_ABSENT, faultEnvelope } from './soap.js';
import { NS, child, parseXml } from './xml.js';

export const EWS_PATH = '/EWS/Exchange.asmx';
const HTTP_OK = 200;
const HTTP_UNAUTHORIZED = 401;
const HTTP_NOT_FOUND = 404;
const HTTP_METHOD_NOT_ALLOWED = 405;
const HTTP_SERVER_ERROR = 500;
const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

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
}

export interface ValidationLog {
  requestsValidated: number;
  responsesValidated: number;
  requestFailures: string[];
  responseFailures: string[];
  /** Faults the server sent (their Body is SOAP, not EWS schema; the request that caused them was checked). */
  faults: number;
  unauthorized: number;
}

export interface EwsTestServer {
  url: string;
  store: MailboxStore;
  validation: ValidationLog;
  validator: EwsSchemaValidator;
  /** Resolves after the server stopped; rejects if any response failed the schema check. */
  close(): Promise<void>;
}

export async function startEwsServer(options: EwsServerOptions): Promise<EwsTestServer> {
  const store = new MailboxStore();
  for (const u of options.users) store.addPrincipal({ ...u, fullAccess: false, impersonation: false });
  if (options.admin) store.addPrincipal({ ...options.admin, fullAccess: true, impersonation: true }, false);
  const ownValidator = !options.validator;
  const validator = options.validator ?? new EwsSchemaValidator();
  const log: ValidationLog = { requestsValidated: 0, responsesValidated: 0, requestFailures: [], responseFailures: [], faults: 0, unauthorized: 0 };

  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'Content-Type': XML_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fault = (res: ServerResponse, code: string, message: string, violation?: string): void => {
    log.faults++;
    send(res, HTTP_SERVER_ERROR, faultEnvelope(code, message, violation));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').split('?')[0]!.toLowerCase() !== EWS_PATH.toLowerCase()) return void send(res, HTTP_NOT_FOUND, '');
    const principal = authenticate(store, req.headers.authorization);
    if (!principal) {
      log.unauthorized++;
      res.writeHead(HTTP_UNAUTHORIZED, { 'WWW-Authenticate': 'Basic realm="127.0.0.1"', 'Content-Length': 0 });
      return void res.end();
    }
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
    let mailbox = principal.smtp.toLowerCase();
    const impersonation = child(child(header, NS.types, 'ExchangeImpersonation'), NS.types, 'ConnectingSID');
    if (impersonation) {
      const target = (impersonation.children[0]?.text ?? '').trim().toLowerCase();
      // Exchange refuses the whole request (a fault, not a response message) without the right.
      if (!principal.impersonation) return fault(res, 'ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
      if (!store.mailbox(target)) return fault(res, 'ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it: ${target}`);
      mailbox = target;
    }

    const ctx: EwsContext = { store, principal, mailbox, version };
    const responseXml = handler(operation, ctx);
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
      const why = `${(err as Error).stack ?? String(err)}`;
      log.responseFailures.push(`server error: ${why}`);
      console.error(`EWS test server crashed on a request — ${why}`);
      if (!res.headersSent) send(res, HTTP_SERVER_ERROR, faultEnvelope('ErrorInternalServerError', 'test server error'));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${EWS_PATH}`,
    store,
    validation: log,
    validator,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownValidator) validator.dispose();
      if (log.responseFailures.length > 0) {
        throw new Error(`EWS test server sent ${log.responseFailures.length} schema-invalid response(s):\n${log.responseFailures.join('\n')}`);
      }
    },
  };
}

function authenticate(store: MailboxStore, header: string | undefined): Principal | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const p = store.principals.get(decoded.slice(0, colon).toLowerCase());
  return p && p.password === decoded.slice(colon + 1) ? p : undefined;
}
