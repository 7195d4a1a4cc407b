/**
 * Every Graph request goes through here: the app's token (cached by the TokenCache until near
 * expiry, dropped and fetched again once on a 401), at most 4 requests in flight per mailbox
 * (Exchange Online's per-app-and-mailbox concurrency limit, GRAPH.md), and Graph's throttling:
 * 429/503 with `Retry-After` are slept when short and become a ThrottledError (the job is
 * rescheduled) when long. A request the server did not process (429, 503) is repeated; a
 * non-idempotent one (an import) that failed after it was sent is not, so nothing is written
 * twice. URLs never appear in errors: an import session's URL carries its own token.
 *
 * Requests go through node:http(s) with one keep-alive agent per transport (a mailbox), as many
 * sockets as requests in flight: no connection is opened per request, and a body given in parts
 * (an import: the stream's base64 between two JSON fragments) is written part by part, never
 * joined into one more copy of the item.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { ConnectionError, MailferryError, ThrottledError, ensureError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import { classifyHttpStatus } from '../../core/retry/index.js';
import type { EwsCredentials } from '../ews/credentials.js';
import { OPEN_OUTBOUND, lookupOption, type OutboundPolicy } from '../outbound-policy.js';
import { RequestRetries, Window, type RequestRetryPolicy } from '../request-pacing.js';
import { failureOf, graphError, type GraphAction } from './map-error.js';

export interface GraphTransportOptions {
  /** `https://graph.microsoft.com` (tests: the Graph test server). */
  baseUrl: URL;
  credentials: EwsCredentials;
  /** The app's client id, for the advice in errors. */
  clientId: string;
  inFlight: number;
  /** Attempts, the inline-wait ceiling and the back-off of server errors. */
  retry: RequestRetryPolicy;
  timeoutMs: number;
  /** The job's: aborting it ends any wait at once. */
  signal?: AbortSignal;
  /** Drives every wait (tests: a TestClock). */
  clock?: Clock;
  /** Where connections may go (the socket's own DNS lookup hook); everywhere when absent. */
  outbound?: OutboundPolicy;
}

export interface GraphRequest extends GraphAction {
  method: 'GET' | 'POST' | 'PATCH';
  /** A path under the Graph root (`/v1.0/…`, `/beta/…`) or an absolute URL (a nextLink, an importUrl). */
  url: string;
  /** Sent as JSON; a Buffer is JSON already serialized. */
  json?: unknown;
  /** JSON already serialized, in parts written one after another (an import body: never joined into one copy of the item). */
  jsonParts?: readonly (Uint8Array | string)[];
  /** Sent as `text/plain` (importMime: the message as base64), whole or in parts written one after another. */
  text?: string | string[];
  headers?: Record<string, string>;
  /** The URL carries its own token (importUrl): no Authorization header. */
  anonymous?: boolean;
  /** Safe to send again after a failure that may have reached the server (GET, exportItems). Default: GET only. */
  idempotent?: boolean;
  /** The answer is bytes, not JSON (a message's `$value`). */
  raw?: boolean;
}

export interface GraphResponse<T> {
  status: number;
  body: T;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
}

/** Exchange Online allows 4 concurrent requests per application and mailbox. */
export const GRAPH_MAX_IN_FLIGHT = 4;

export class GraphTransport {
  readonly window: Window;
  /** Requests sent (each retry counts), for tests and diagnostics. */
  requests = 0;
  readonly retries: RequestRetries;
  /** The server's clock minus ours, from the Date header of its last answer (whole seconds). */
  private clockOffsetMs = 0;

  private readonly agents: { http?: HttpAgent; https?: HttpsAgent } = {};

  constructor(readonly options: GraphTransportOptions) {
    this.window = new Window(Math.max(1, Math.min(GRAPH_MAX_IN_FLIGHT, options.inFlight)));
    this.retries = new RequestRetries(options.retry, options.clock, options.signal);
  }

  /** Closes the kept-alive connections (the session is done). */
  close(): void {
    this.agents.http?.destroy();
    this.agents.https?.destroy();
  }

  /** One agent per scheme (Graph and the import URL's host share it), as many sockets per host as requests in flight. */
  private agent(https: boolean): HttpAgent {
    const options = { keepAlive: true, maxSockets: this.window.size, ...lookupOption(this.options.outbound ?? OPEN_OUTBOUND) };
    if (https) {
      this.agents.https ??= new HttpsAgent(options);
      return this.agents.https;
    }
    this.agents.http ??= new HttpAgent(options);
    return this.agents.http;
  }

  /** The server's time now, as well as its Date headers tell (for floors compared with its createdDateTime). */
  serverNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  get where(): string {
    return this.options.baseUrl.host;
  }

  async send<T>(request: GraphRequest): Promise<GraphResponse<T>> {
    const idempotent = request.idempotent ?? request.method === 'GET';
    for (let attempt = 0; ; attempt++) {
      const last = this.retries.isLast(attempt);
      let res: RawResponse;
      try {
        res = await this.window.run(() => this.fetchOnce(request));
      } catch (raw) {
        const error = ensureError(raw);
        if (error.code === 'connection' && idempotent && !last && !this.options.signal?.aborted) {
          await this.retries.pauseAfterServerError(attempt);
          continue;
        }
        throw error;
      }
      if (request.raw && res.status < 300) return { status: res.status, body: res.bytes as T };
      const text = res.bytes.toString('utf8');
      const body = parseBody(text);
      if (res.status < 300) {
        if (body === NOT_JSON)
          throw new MailferryError(
            'internal',
            `${request.action}: Microsoft Graph sent an answer that is not JSON (${text.slice(0, 80)}).`,
          );
        return { status: res.status, body: body as T };
      }
      if (res.status === 401 && !request.anonymous && attempt === 0 && this.options.credentials.invalidate()) continue;
      // 429 and 503 mean the request was not processed: sending it again is safe, an import included.
      // Another 5xx may have been processed, so only a request safe to repeat goes again.
      const retryAfterMs = this.retries.retryAfterMs(headerValue(res.headers['retry-after']) ?? null);
      const safeToRepeat = idempotent || res.status === 429 || res.status === 503;
      if (safeToRepeat && (classifyHttpStatus(res.status, retryAfterMs !== undefined) === 'throttled' || res.status === 504)) {
        const wait = retryAfterMs ?? this.options.retry.defaultThrottleWaitMs;
        await this.retries.waitOutThrottle(wait, attempt, (ms) => this.throttled(ms, res.status, request.action));
        continue;
      }
      if (res.status >= 500 && idempotent && !last) {
        await this.retries.pauseAfterServerError(attempt);
        continue;
      }
      throw graphError(failureOf(res.status, body), request, this.options.clientId);
    }
  }

  private async fetchOnce(request: GraphRequest): Promise<RawResponse> {
    const { signal, timeoutMs } = this.options;
    const url = new URL(
      /^https?:\/\//i.test(request.url) ? request.url : new URL(request.url.replace(/^\/+/, ''), withSlash(this.options.baseUrl)).href,
    );
    const headers: Record<string, string> = {
      Accept: request.raw ? '*/*' : 'application/json',
      'User-Agent': 'Mailferry-Graph',
      ...request.headers,
    };
    if (!request.anonymous) headers.Authorization = await this.options.credentials.header();
    const parts = bodyParts(request);
    if (request.json !== undefined || request.jsonParts !== undefined) headers['Content-Type'] = 'application/json';
    else if (request.text !== undefined) headers['Content-Type'] = 'text/plain';
    if (parts) headers['Content-Length'] = String(parts.reduce((n, p) => n + p.length, 0));
    this.requests++;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.exchange(url, request.method, headers, parts, signal ? AbortSignal.any([signal, timeout]) : timeout);
      const date = Date.parse(headerValue(res.headers['date']) ?? '');
      if (Number.isFinite(date)) this.clockOffsetMs = date - Date.now();
      return res;
    } catch (err) {
      if (signal?.aborted) throw new ConnectionError('The job was cancelled.', { cause: err });
      const plain = err instanceof Error && !timeout.aborted ? ensureError(err, { protocol: 'HTTPS' }) : undefined;
      if (plain?.details) throw plain;
      const why = timeout.aborted
        ? `no answer within ${Math.round(timeoutMs / 1000)} s`
        : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      // Never the URL: an import session's URL is a credential.
      throw new ConnectionError(`${request.action}: Microsoft Graph at ${this.where} could not be reached (${why}).`, { cause: err });
    }
  }

  /** One HTTP exchange on the kept-alive connections: the body written part by part, the answer read whole. */
  private exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    parts: BodyPart[] | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent(https), signal }, (res) => {
        const body = new ResponseBody(Number(res.headers['content-length'] ?? Number.NaN));
        res.on('data', (chunk: Buffer) => body.add(chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: body.bytes() }));
        res.once('error', reject);
        res.once('close', () => {
          if (!res.complete)
            reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
        });
      });
      req.once('error', reject);
      for (const part of parts ?? []) req.write(part.data, part.encoding);
      req.end();
    });
  }

  private throttled(waitMs: number, status: number, action: string): ThrottledError {
    return new ThrottledError(
      `${action}: Microsoft Graph at ${this.where} is throttling requests (HTTP ${status}); suggested wait ${Math.round(waitMs / 1000)} s.`,
      Math.max(waitMs, 1000),
    );
  }
}

/**
 * An answer's bytes. With a Content-Length (Graph sends one), one buffer of that size is made at
 * the start and each chunk copied in as it arrives, so the socket's chunks die young (a scavenge
 * frees them) instead of all living until the end and then being joined: an exportItems answer
 * of megabytes would otherwise be garbage twice over in the old generation, which V8 collects only
 * after 64 MB more of such memory.
 */
class ResponseBody {
  private readonly whole?: Buffer;
  private filled = 0;
  private readonly chunks: Buffer[] = [];

  constructor(length: number) {
    if (Number.isSafeInteger(length) && length > 0) this.whole = Buffer.allocUnsafeSlow(length);
  }

  add(chunk: Buffer): void {
    if (this.whole && this.filled + chunk.length <= this.whole.length) {
      this.filled += chunk.copy(this.whole, this.filled);
      return;
    }
    if (this.whole && this.chunks.length === 0) this.chunks.push(this.whole.subarray(0, this.filled)); // longer than announced
    this.chunks.push(chunk);
  }

  bytes(): Buffer {
    if (this.chunks.length === 0) return this.whole ? this.whole.subarray(0, this.filled) : Buffer.alloc(0);
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** One part of a request body, its length in bytes, and how a string is written. */
interface BodyPart {
  data: Uint8Array | string;
  length: number;
  encoding: BufferEncoding;
}

/**
 * The request body as the parts to write: serialized JSON (or its parts), or text; none for a GET.
 * Text stays a string: the socket encodes it into memory of its own, released when written, where
 * a Buffer made first would be one more copy of the item for the garbage collector to find. A
 * string that is all ASCII (base64, most JSON) is written as latin1, the same bytes copied
 * straight, where UTF-8 would encode it character by character.
 */
function bodyParts(request: GraphRequest): BodyPart[] | undefined {
  let raw: readonly (Uint8Array | string)[];
  if (request.jsonParts !== undefined) raw = request.jsonParts;
  else if (request.json !== undefined) raw = [Buffer.isBuffer(request.json) ? request.json : JSON.stringify(request.json)];
  else if (request.text !== undefined) raw = Array.isArray(request.text) ? request.text : [request.text];
  else return request.method === 'GET' ? undefined : [];
  return raw.map((data) => {
    if (typeof data !== 'string') return { data, length: data.length, encoding: 'utf8' };
    const length = Buffer.byteLength(data, 'utf8');
    return { data, length, encoding: length === data.length ? 'latin1' : 'utf8' };
  });
}

function withSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}

const NOT_JSON = Symbol('not JSON');

/** The parsed answer; a gateway's HTML error page is NOT_JSON, and its status still speaks. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}
