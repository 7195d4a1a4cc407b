/**
 * Every Graph request goes through here: the app's token (cached by the TokenCache until near
 * expiry, dropped and fetched again once on a 401), at most 4 requests in flight per mailbox
 * (Exchange Online's per-app-and-mailbox concurrency limit, GRAPH.md), and Graph's throttling:
 * 429/503 with `Retry-After` are slept when short and become a ThrottledError (the job is
 * rescheduled) when long. A request the server did not process (429, 503) is repeated; a
 * non-idempotent one (an import) that failed after it was sent is not, so nothing is written
 * twice. URLs never appear in errors: an import session's URL carries its own token.
 */
import { ConnectionError, MailferryError, ThrottledError, ensureError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import { classifyHttpStatus } from '../../core/retry/index.js';
import type { EwsCredentials } from '../ews/credentials.js';
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
}

export interface GraphRequest extends GraphAction {
  method: 'GET' | 'POST' | 'PATCH';
  /** A path under the Graph root (`/v1.0/…`, `/beta/…`) or an absolute URL (a nextLink, an importUrl). */
  url: string;
  /** Sent as JSON; a Buffer is JSON already serialized (a large import body built as bytes). */
  json?: unknown;
  /** Sent as `text/plain` (importMime: the message as base64). */
  text?: string;
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

/** Exchange Online allows 4 concurrent requests per application and mailbox. */
export const GRAPH_MAX_IN_FLIGHT = 4;

export class GraphTransport {
  readonly window: Window;
  /** Requests sent (each retry counts), for tests and diagnostics. */
  requests = 0;
  readonly retries: RequestRetries;
  /** The server's clock minus ours, from the Date header of its last answer (whole seconds). */
  private clockOffsetMs = 0;

  constructor(readonly options: GraphTransportOptions) {
    this.window = new Window(Math.max(1, Math.min(GRAPH_MAX_IN_FLIGHT, options.inFlight)));
    this.retries = new RequestRetries(options.retry, options.clock, options.signal);
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
      let res: Response;
      let bytes: Buffer;
      try {
        ({ res, bytes } = await this.window.run(() => this.fetchOnce(request)));
      } catch (raw) {
        const error = ensureError(raw);
        if (error.code === 'connection' && idempotent && !last && !this.options.signal?.aborted) {
          await this.retries.pauseAfterServerError(attempt);
          continue;
        }
        throw error;
      }
      if (request.raw && res.status < 300) return { status: res.status, body: bytes as T };
      const text = bytes.toString('utf8');
      const body = parseBody(text);
      if (res.status < 300) {
        if (body === NOT_JSON) throw new MailferryError('internal', `${request.action}: Microsoft Graph sent an answer that is not JSON (${text.slice(0, 80)}).`);
        return { status: res.status, body: body as T };
      }
      if (res.status === 401 && !request.anonymous && attempt === 0 && this.options.credentials.invalidate()) continue;
      // 429 and 503 mean the request was not processed: sending it again is safe, an import included.
      // Another 5xx may have been processed, so only a request safe to repeat goes again.
      const retryAfterMs = this.retries.retryAfterMs(res.headers.get('retry-after'));
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

  private async fetchOnce(request: GraphRequest): Promise<{ res: Response; bytes: Buffer }> {
    const { signal, timeoutMs } = this.options;
    const url = /^https?:\/\//i.test(request.url) ? request.url : new URL(request.url.replace(/^\/+/, ''), withSlash(this.options.baseUrl)).href;
    const headers: Record<string, string> = { Accept: request.raw ? '*/*' : 'application/json', 'User-Agent': 'Mailferry-Graph', ...request.headers };
    if (!request.anonymous) headers.Authorization = await this.options.credentials.header();
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (request.json !== undefined) {
      body = Buffer.isBuffer(request.json) ? (request.json as Uint8Array<ArrayBuffer>) : JSON.stringify(request.json);
      headers['Content-Type'] = 'application/json';
    } else if (request.text !== undefined) {
      body = request.text;
      headers['Content-Type'] = 'text/plain';
    }
    this.requests++;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(url, { method: request.method, headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.clockOffsetMs = date - Date.now();
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      if (signal?.aborted) throw new ConnectionError('The job was cancelled.', { cause: err });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const plain = cause instanceof Error && !timeout.aborted ? ensureError(cause, { protocol: 'HTTPS' }) : undefined;
      if (plain?.details) throw plain;
      const why = timeout.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : cause?.code ?? cause?.message ?? (err as Error).message;
      // Never the URL: an import session's URL is a credential.
      throw new ConnectionError(`${request.action}: Microsoft Graph at ${this.where} could not be reached (${why}).`, { cause: err });
    }
  }

  private throttled(waitMs: number, status: number, action: string): ThrottledError {
    return new ThrottledError(`${action}: Microsoft Graph at ${this.where} is throttling requests (HTTP ${status}); suggested wait ${Math.round(waitMs / 1000)} s.`, Math.max(waitMs, 1000));
  }

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
