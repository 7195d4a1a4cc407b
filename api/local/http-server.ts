import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { jsonLineLog } from '../adapters/json-line-log.js';
import type { EngineLog } from '../core/engine/job-context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { serialize, type ApiResponse } from '../http/api-types.js';
import { bodyLimitFor, parseBody, tooLarge } from '../http/request-body.js';
import { problem, serverErrorLog } from '../http/problem.js';
import type { Authenticator } from '../http/auth/authenticator.js';
import { LocalAdminAuthenticator } from '../http/auth/local-admin-authenticator.js';
import { dispatch } from '../http/router.js';
import type { Mailferry } from '../core/app/mailferry.js';
import { nobodyAuthenticator, refusal, surfaceServes, type GuardPolicy, type Surface } from './request-guard.js';
import { defaultTabDir, serveStatic } from './static-files.js';

export interface HttpServerOptions {
  port: number;
  host?: string;
  authenticator?: Authenticator;
  staticDir?: string;
  /** `admin` (default): the console and the whole API. `end-user`: what a reverse proxy may publish. */
  surface?: Surface;
  /** MAILFERRY_PUBLIC_URL: the end-user listener also answers to this host and origin. */
  publicUrl?: string;
  /** Where server errors (5xx) are logged with their cause. */
  log?: EngineLog;
}

interface Listener extends GuardPolicy {
  services: Mailferry;
  authenticator: Authenticator;
  staticDir: string;
  log: EngineLog;
}

/**
 * The embedded host's HTTP front: loopback only. Without an authenticator the admin surface serves
 * the single local admin (the `local` tenant), which is why it refuses to listen on any other
 * address, and why request-guard.ts checks every request's Host and Origin.
 */
export async function startHttpServer(services: Mailferry, options: HttpServerOptions): Promise<{ server: Server; url: string }> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new ValidationError(
      `The embedded host serves one local admin without sign-in, so it listens on loopback only (got ${host}). Deploy to Azure for shared use.`,
      { field: 'host' },
    );
  }
  const surface = options.surface ?? 'admin';
  const listener: Listener = {
    surface,
    publicUrl: publicUrlOf(options.publicUrl),
    services,
    staticDir: options.staticDir ?? defaultTabDir(),
    log: options.log ?? jsonLineLog,
    authenticator: surface === 'end-user' ? nobodyAuthenticator : (options.authenticator ?? new LocalAdminAuthenticator()),
  };
  const server = createServer((req, res) => {
    handle(req, res, listener).catch((error) => respond(req, res, listener, problem(error)));
  });
  server.on('clientError', answerUnparsable);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

async function handle(req: IncomingMessage, res: ServerResponse, listener: Listener): Promise<void> {
  const refused = refusal(req.method ?? 'GET', req.headers, listener);
  if (refused) return respond(req, res, listener, problem(refused));
  const url = requestUrl(req);
  if (!url)
    throw new ValidationError('The request path is not a valid URL path (e.g. it starts with //); check the link.', { field: 'url' });
  if (!surfaceServes(listener, url.pathname))
    return respond(req, res, listener, problem(new NotFoundError('Not found. This address serves end users their credential page only.')));
  const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
  // Everything outside /api is the admin console (dist/tab); the API keeps its own 404s.
  if (!isApi && (req.method === 'GET' || req.method === 'HEAD')) return serveStatic(req, res, url.pathname, listener.staticDir);
  const contentType = req.headers['content-type'];
  const body = parseBody(await readBody(req, bodyLimitFor(contentType).limitBytes), contentType);
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  respond(
    req,
    res,
    listener,
    await dispatch(
      { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body },
      listener.services,
      listener.authenticator,
    ),
  );
}

async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Node's parser refuses a request line or headers over its limit (16 KiB) before any route sees it. */
const HTTP_HEADERS_TOO_LARGE = 431;

/**
 * A request Node could not parse still gets a problem, not a bare status line: which limit, and
 * what to change. The socket is closed after it, as Node's own answer does.
 */
function answerUnparsable(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  const status = overflow ? HTTP_HEADERS_TOO_LARGE : 400;
  const detail = overflow
    ? "The URL or the headers are over the server's 16 KiB limit; ids in a path are short, so check the link, and send long values in a JSON body."
    : 'The request is not well-formed HTTP/1.1; send it with a standard HTTP client.';
  // The same problem shape as every other answer, with the status Node's limit calls for.
  const refused = problem(new ValidationError(detail, { field: overflow ? 'url' : 'request' }));
  const { headers, body = '' } = serialize({ ...refused, status, body: { ...(refused.body as object), status } });
  const lines = Object.entries({ connection: 'close', ...headers, 'content-length': String(Buffer.byteLength(body)) }).map(
    ([name, value]) => `${name}: ${value}\r\n`,
  );
  socket.end(`HTTP/1.1 ${status} ${overflow ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n${lines.join('')}\r\n${body}`);
}

function respond(req: IncomingMessage, res: ServerResponse, listener: Listener, response: ApiResponse): void {
  const logged = serverErrorLog(req.method ?? 'GET', requestUrl(req)?.pathname ?? '(unparsable path)', response);
  if (logged) listener.log[logged.level](logged.message, logged.fields);
  if (res.headersSent) return;
  const { status, headers, body } = serialize(response);
  res.writeHead(status, headers).end(body);
}

/** The request's URL, or undefined when its target cannot be one (`//`, `//a b`). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function publicUrlOf(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    throw new ValidationError(`MAILFERRY_PUBLIC_URL must be a full address such as https://migrate.contoso.com (got "${value}").`, {
      field: 'MAILFERRY_PUBLIC_URL',
    });
  }
}
