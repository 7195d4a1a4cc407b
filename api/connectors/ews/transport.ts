/**
 * The raw SOAP transport every EWS operation goes through: one keep-alive HTTP(S) agent per
 * session, the session's auth header, a window of requests in flight (≤10 per mailbox by
 * default, shrunk for good when Exchange says the account has too many concurrent requests),
 * and Exchange's throttling signals turned into short inline waits or a ThrottledError:
 *  - SOAP fault or response message ErrorServerBusy with `BackOffMilliseconds` in MessageXml;
 *  - HTTP 429 / 503 with Retry-After;
 *  - ErrorExceededConnectionCount / ErrorTooManyObjectsOpened (EWSMaxConcurrency): fewer in flight.
 * A request is only retried when the server did not process it (a fault, an HTTP refusal, or
 * per item: a response message saying "busy"), so nothing is written twice. Reading an answer is
 * the payload scanner's (item contents decoded as they stream) and soap-response.ts's (messages,
 * faults, version); the waits follow the connectors' RequestRetryPolicy (request-pacing.ts).
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { AuthError, ConnectionError, MailferryError, ThrottledError, ensureError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import { classifyHttpStatus } from '../../core/retry/index.js';
import type { EwsCredentials } from './credentials.js';
import { ewsPolicyRefusal, fromFault, isConcurrencyCode } from './map-error.js';
import { scanPayloads } from './payload-scanner.js';
import { type EwsResponse, type ResponseMessage, type ServerVersion, faultIn, parseResponse, serverVersionOf } from './soap-response.js';
import { type EnvelopeOptions, ENVELOPE_TAIL, envelopeHead } from './xml.js';
import { RequestRetries, Window, type RequestRetryPolicy } from '../request-pacing.js';
import { OPEN_OUTBOUND, checkServiceUrl, lookupOption, type OutboundPolicy } from '../outbound-policy.js';

export type { EwsResponse, ResponseMessage, ServerVersion };

export interface TransportOptions {
  url: URL;
  credentials: EwsCredentials;
  allowSelfSigned?: boolean;
  /** `X-AnchorMailbox`: routes Exchange Online requests to the target mailbox's server. */
  anchorMailbox?: string;
  /** Requests in flight at most (EWSMaxConcurrency is 27 per account, 10 on Exchange 2010). */
  inFlight: number;
  /** Attempts, the inline-wait ceiling and the back-off of server errors. */
  retry: RequestRetryPolicy;
  /** Per request, from first byte sent to last byte read. */
  timeoutMs: number;
  /** The job's: aborting it ends any wait at once. */
  signal?: AbortSignal;
  /** Drives every wait (tests: a TestClock). */
  clock?: Clock;
  /** Which destinations this host may connect to; every destination by default (the embedded host). */
  outbound?: OutboundPolicy;
  /** A Microsoft 365 Groups mailbox: an EWS refusal names the Groups way out (Graph conversation posts). */
  groups?: boolean;
  /** The endpoint's name and id, so that an EWS refusal says which endpoint to switch and how. */
  endpoint?: { name?: string; id?: string };
}

/** What one POST carries: a string, or a factory for a fresh streamed body (large items, write batches). */
export type RequestBody = string | (() => AsyncIterable<Buffer | string>);
/** A Body's inner XML: whole, or produced part by part (each call a fresh sequence, for retries). */
export type BodyParts = string | (() => Iterable<string>);

/** After EWSMaxConcurrency refused a request: the window has shrunk; a moment for the others to finish. */
const CONCURRENCY_PAUSE_MS = 250;

interface RawResponse {
  status: number;
  /** The status line's reason phrase ("Not Found"); the only server text an error repeats. */
  statusText: string;
  headers: IncomingMessage['headers'];
  /** The response text, with the content of every Data/MimeContent element replaced by a placeholder. */
  body: string;
  /** Those contents, decoded, in document order (see `scanPayloads`). */
  payloads: Buffer[];
}

export class EwsTransport {
  readonly window: Window;
  serverVersion?: ServerVersion;
  /** Requests sent (each retry counts), for tests and diagnostics. */
  requests = 0;
  readonly retries: RequestRetries;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(
    readonly options: TransportOptions,
    public envelope: EnvelopeOptions,
  ) {
    this.window = new Window(Math.max(1, options.inFlight));
    this.retries = new RequestRetries(options.retry, options.clock, options.signal);
    const outbound = options.outbound ?? OPEN_OUTBOUND;
    checkServiceUrl(options.url, outbound, 'The EWS URL');
    const agentOptions = { keepAlive: true, maxSockets: Math.max(1, options.inFlight), ...lookupOption(outbound) };
    this.agent =
      options.url.protocol === 'https:'
        ? new HttpsAgent({ ...agentOptions, rejectUnauthorized: !options.allowSelfSigned })
        : new HttpAgent(agentOptions);
  }

  get where(): string {
    return this.options.url.host;
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * The SOAP request for a body given in parts (one per item): sent as it is produced, so a batch
   * of items never exists as one string, nor as one buffer.
   */
  wrapParts(parts: () => Iterable<string>, envelope: EnvelopeOptions = this.envelope): () => AsyncIterable<string> {
    const head = envelopeHead(envelope);
    return async function* () {
      yield head;
      yield* parts();
      yield ENVELOPE_TAIL;
    };
  }

  /** The SOAP request for `body` (the Body's inner XML) with this session's headers. */
  wrap(body: string, envelope: EnvelopeOptions = this.envelope): string {
    return envelopeHead(envelope) + body + ENVELOPE_TAIL;
  }

  /**
   * Sends one operation and returns its parsed response. Faults and HTTP refusals become typed
   * errors; throttling is waited out inline when short. Per-message errors are left to the caller.
   */
  async call(body: string, envelope?: EnvelopeOptions): Promise<EwsResponse> {
    return this.send(this.wrap(body, envelope));
  }

  /** Like `call` for a complete request (a string or a streamed body factory, envelope included). */
  async send(request: RequestBody): Promise<EwsResponse> {
    const raw = await this.exchange(request);
    return this.parse(raw.body, raw.payloads);
  }

  /**
   * Sends `items` in one request and retries, alone, the items whose response message says the
   * server was busy (they were not processed). Returns one message per item, in item order.
   */
  async callEach<T>(items: T[], build: (items: T[]) => BodyParts, envelope?: EnvelopeOptions): Promise<ResponseMessage[]> {
    const out: ResponseMessage[] = new Array(items.length);
    let todo = items.map((item, index) => ({ item, index }));
    for (let attempt = 0; todo.length > 0; attempt++) {
      const built = build(todo.map((t) => t.item));
      const response = typeof built === 'string' ? await this.call(built, envelope) : await this.send(this.wrapParts(built, envelope));
      const again: typeof todo = [];
      let wait = 0;
      // A request refused as a whole ("busy" in fewer messages than items) processed nothing: every item goes again.
      const refusedWhole = response.messages.length > 0 && response.messages.length < todo.length && response.messages.every(isBusy);
      todo.forEach((t, i) => {
        const message = refusedWhole ? response.messages[0] : response.messages[i];
        if (!message) {
          out[t.index] = {
            element: response.root,
            responseClass: 'Error',
            code: 'ErrorInternalServerError',
            text: 'The server sent fewer response messages than items.',
            values: {},
          };
        } else if (isBusy(message)) {
          wait = Math.max(wait, this.busyWaitMs(message));
          again.push(t);
        } else {
          out[t.index] = message;
        }
      });
      if (again.length) await this.waitOutBusy(wait, attempt);
      todo = again;
    }
    return out;
  }

  /**
   * One request whose response may be huge: resolves with the HTTP response stream once the
   * status is 200 (faults and refusals are handled like `call`). The caller reads it.
   */
  async open(body: RequestBody): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      await this.window.acquire();
      let res: IncomingMessage;
      try {
        res = await this.post(body, true);
      } catch (err) {
        this.window.release();
        throw err;
      }
      if (res.statusCode === 200) {
        const release = once(() => this.window.release());
        res.once('close', release);
        res.once('end', release);
        res.once('error', release);
        return res;
      }
      const raw: RawResponse = {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
        ...(await readResponse(res)),
      };
      this.window.release();
      await this.handleRefusal(raw, attempt);
    }
  }

  private async exchange(xml: RequestBody): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      await this.window.acquire();
      let raw: RawResponse;
      try {
        const res = await this.post(xml, false);
        raw = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, ...(await readResponse(res)) };
      } finally {
        this.window.release();
      }
      if (raw.status === 200) {
        this.noteVersion(raw.body);
        return raw;
      }
      await this.handleRefusal(raw, attempt);
    }
  }

  /**
   * For response messages saying "busy" (ErrorServerBusy, or EWSMaxConcurrency exceeded): waits
   * `waitMs` before attempt `attempt + 1`, or throws ThrottledError when the wait is past the
   * inline ceiling or the attempts are spent. Nothing was processed, so sending again is safe.
   */
  async waitOutBusy(waitMs: number, attempt: number): Promise<void> {
    await this.retries.waitOutThrottle(waitMs, attempt, (ms) =>
      this.throttled(ms, this.retries.isLast(attempt) ? 'the server stayed busy' : 'ErrorServerBusy'),
    );
  }

  /** The wait a "busy" response message asks for; a concurrency refusal also shrinks the window for good. */
  busyWaitMs(message: ResponseMessage): number {
    if (isConcurrencyCode(message.code)) this.window.shrink();
    return message.backOffMs ?? CONCURRENCY_PAUSE_MS;
  }

  /** Waits before the next attempt, or throws what the refusal means. */
  private async handleRefusal(raw: RawResponse, attempt: number): Promise<void> {
    const last = this.retries.isLast(attempt);
    const policy = raw.status === 403 ? headerValue(raw.headers['x-ews-policy-reason']) : undefined;
    if (policy) throw ewsPolicyRefusal(this.where, policy, this.options.credentials.who, this.options.groups, this.options.endpoint);
    const retryAfterMs = this.retries.retryAfterMs(raw.headers['retry-after']);
    const kind = classifyHttpStatus(raw.status, retryAfterMs !== undefined);
    if (kind === 'auth') {
      if (attempt === 0 && this.options.credentials.invalidate()) return;
      throw this.unauthorized(raw);
    }
    const fault = raw.status === 500 ? faultIn(raw.body) : undefined;
    if (fault) {
      if (fault.code === 'ErrorServerBusy') {
        const wait = fault.backOffMs ?? this.options.retry.defaultThrottleWaitMs;
        return this.retries.waitOutThrottle(wait, attempt, (ms) => this.throttled(ms, 'ErrorServerBusy'));
      }
      if (isConcurrencyCode(fault.code)) {
        this.window.shrink();
        if (last) throw this.throttled(CONCURRENCY_PAUSE_MS * 4, fault.code);
        return this.retries.pause(CONCURRENCY_PAUSE_MS);
      }
      throw fromFault(fault, this.where);
    }
    if (kind === 'throttled') {
      const wait = retryAfterMs ?? this.options.retry.defaultThrottleWaitMs;
      return this.retries.waitOutThrottle(wait, attempt, (ms) => this.throttled(ms, `HTTP ${raw.status}`));
    }
    if (raw.status >= 500 && !last) return this.retries.pauseAfterServerError(attempt);
    // Only the status line: a body is whatever the server at that address says, which an endpoint
    // pointed somewhere it should not be would otherwise carry back to the admin.
    throw new MailferryError(
      raw.status >= 500 ? 'connection' : 'internal',
      `EWS at ${this.where} answered HTTP ${raw.status}${statusPhrase(raw.statusText)}, not an EWS response: check the EWS URL.`,
      { retryable: raw.status >= 500 },
    );
  }

  private unauthorized(raw: RawResponse): AuthError {
    const { credentials } = this.options;
    const challenge = String(raw.headers['www-authenticate'] ?? '');
    const detail = /error="?([^",]+)/.exec(challenge)?.[1];
    return new AuthError(
      credentials.kind === 'oauth'
        ? `EWS at ${this.where} refused the Modern Auth token of ${credentials.who} (HTTP ${raw.status}${detail ? `, ${detail}` : ''}). ` +
            'Check that the app has the Exchange Online permission full_access_as_app (or an RBAC for Applications assignment) with admin consent, and the tenant id.'
        : `EWS at ${this.where} refused the login "${credentials.who}" (HTTP ${raw.status}). Check the login name (often the full e-mail address or DOMAIN\\user) and the password, ` +
            'and that Basic authentication is enabled for EWS on this server (Exchange Online needs Modern Auth).',
    );
  }

  private throttled(waitMs: number, why: string): ThrottledError {
    return new ThrottledError(
      `EWS at ${this.where} is throttling requests (${why}); suggested wait ${Math.round(waitMs / 1000)} s.`,
      Math.max(waitMs, 1000),
    );
  }

  private async post(body: RequestBody, streamingResponse: boolean): Promise<IncomingMessage> {
    const { url, credentials, anchorMailbox, timeoutMs, signal } = this.options;
    const authorization = await credentials.header();
    this.requests++;
    const headers: Record<string, string> = {
      'Content-Type': 'text/xml; charset=utf-8',
      Accept: 'text/xml',
      Authorization: authorization,
      'User-Agent': 'Mailferry-EWS',
    };
    if (anchorMailbox) headers['X-AnchorMailbox'] = anchorMailbox;
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : undefined;
    if (payload) headers['Content-Length'] = String(payload.length);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, agent: this.agent, signal, timeout: timeoutMs }, (res) => {
        if (!streamingResponse) res.setTimeout(timeoutMs, () => res.destroy(new Error('response timed out')));
        resolve(res);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.connectionError(err)));
      if (payload) {
        req.end(payload);
      } else if (typeof body === 'function') {
        void (async () => {
          try {
            for await (const chunk of body()) {
              if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
            }
            req.end();
          } catch (err) {
            req.destroy(err as Error);
          }
        })();
      }
    });
  }

  private connectionError(err: Error): MailferryError {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
      return new MailferryError(
        'validation',
        `EWS at ${this.where}: the TLS certificate is not trusted (${code}). Install a trusted certificate, or allow self-signed certificates for this endpoint.`,
        { field: 'allowSelfSigned', cause: err },
      );
    }
    if (err.name === 'AbortError') return new ConnectionError('The job was cancelled.', { cause: err });
    const mapped = ensureError(err, { protocol: 'HTTPS' });
    if (mapped.details) return mapped; // already in the admin's words, naming the server
    if (mapped.code === 'connection') return new ConnectionError(`EWS at ${this.where}: ${mapped.message}`, { cause: err });
    return new ConnectionError(`EWS at ${this.where}: the connection failed (${err.message}).`, { cause: err });
  }

  /** Parses a 200 answer into its response messages; `payloads` when the text came through scanPayloads. */
  parse(xml: string, payloads: Buffer[] = []): EwsResponse {
    return parseResponse(xml, this.where, payloads);
  }

  private noteVersion(xml: string): void {
    this.serverVersion ??= serverVersionOf(xml);
  }
}

async function readResponse(res: Readable): Promise<{ body: string; payloads: Buffer[] }> {
  try {
    return await scanPayloads(res as AsyncIterable<Buffer>);
  } catch (err) {
    if (err instanceof ConnectionError) throw err;
    throw new ConnectionError(`The EWS response was cut off (${(err as Error).message}).`, { cause: err });
  }
}

/** ErrorServerBusy, or EWSMaxConcurrency exceeded: the server did not process the item. */
export function isBusy(message: ResponseMessage): boolean {
  return message.code === 'ErrorServerBusy' || isConcurrencyCode(message.code);
}

function headerValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || undefined;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

/** Reason phrases are short ASCII; anything else is not repeated. */
const MAX_REASON_PHRASE = 60;

function statusPhrase(text: string): string {
  const phrase = text
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, MAX_REASON_PHRASE);
  return phrase ? ` ${phrase}` : '';
}
