/**
 * Posts pass-ended cards to a Teams channel through a Workflows webhook ("When a Teams webhook
 * request is received" → "Post card in a chat or channel"); Office 365 connector incoming
 * webhooks are retired. The webhook URL carries its own signature (`sig=`), so it is a secret:
 * errors name only its host.
 */
import { ConnectionError, type MailferryError, ThrottledError, ValidationError } from '../core/errors.js';
import type { Project } from '../core/model.js';
import { systemClock, type Clock } from '../core/ports.js';
import { truncateText } from '../core/notifications/card-text.js';
import type { Notifier, PassEndedNotice } from '../core/ports.js';
import { buildPassEndedMessage } from '../core/notifications/pass-card.js';
import { SendRateLimiter } from '../core/notifications/send-rate-limiter.js';
import type { TeamsTabLink } from '../core/notifications/tab-deep-link.js';
import {
  DEFAULT_JITTER_RATIO,
  MAX_INLINE_WAIT_MS,
  backoffMs,
  classifyHttpStatus,
  httpFailureError,
  parseRetryAfterMs,
} from '../core/retry/index.js';

/** Teams: "no more than four requests per second" per webhook. */
export const TEAMS_POSTS_PER_SECOND = 4;
const RATE_WINDOW_MS = 1000;
/** Teams counts arrivals, we count departures: leave room for network jitter between them. */
const RATE_WINDOW_MARGIN_MS = 50;
/** First try plus three retries: a notice is worth ~15 s of patience, not a stuck settle. */
export const DEFAULT_MAX_ATTEMPTS = 4;
/** Back-off without Retry-After: 1, 2, 4 s … jittered so parallel senders spread out. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 1000;
/** A server asking us to wait longer than this gets a ThrottledError back for the caller to reschedule. */
export const DEFAULT_MAX_RETRY_WAIT_MS = MAX_INLINE_WAIT_MS;
/** Workflows answers 202 Accepted at once; anything slower is a stuck connection. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Enough of an error body to see what Teams objected to, not a whole HTML error page. */
const RESPONSE_TEXT_MAX_CHARS = 300;
/** Plain http only to a receiver on this machine (tests, a local relay); anything else must be TLS. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface TeamsWorkflowNotifierOptions {
  /** The Teams app and static tab that "Open in Mailferry" deep-links to. */
  tabLink?: TeamsTabLink;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
  maxRetryWaitMs?: number;
  timeoutMs?: number;
  postsPerSecond?: number;
  clock?: Clock;
  /** [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export class TeamsWorkflowNotifier implements Notifier {
  private readonly limiter: SendRateLimiter;
  private readonly clock: Clock;

  /**
   * `webhookUrlFor` returns the project's Workflows URL, or undefined when it posts nowhere. It may
   * be async: the URL carries a signature (`sig=`), so hosts keep it in the SecretVault.
   */
  constructor(
    private readonly webhookUrlFor: (project: Project) => string | undefined | Promise<string | undefined>,
    private readonly options: TeamsWorkflowNotifierOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.limiter = new SendRateLimiter({
      maxSends: options.postsPerSecond ?? TEAMS_POSTS_PER_SECOND,
      windowMs: RATE_WINDOW_MS + RATE_WINDOW_MARGIN_MS,
      clock: this.clock,
    });
  }

  async notifyPassEnded(notice: PassEndedNotice): Promise<void> {
    const configured = await this.webhookUrlFor(notice.project);
    if (!configured) return;
    const url = parseWebhookUrl(configured);
    const message = buildPassEndedMessage(notice, { tabLink: this.options.tabLink });
    await this.postWithRetries(url, JSON.stringify(message));
  }

  private async postWithRetries(url: URL, body: string): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const maxWaitMs = this.options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      // Every attempt is a request Teams counts, retries included.
      await this.limiter.acquire();
      const backoffMs = this.backoffMs(attempt);
      const failure = await this.postOnce(url, body, backoffMs);
      if (!failure) return;
      if (!failure.retryable || attempt >= maxAttempts) throw withAttempts(failure, attempt);
      const waitMs = failure.retryAfterMs ?? backoffMs;
      if (waitMs > maxWaitMs) throw withAttempts(failure, attempt);
      await this.clock.sleep(waitMs);
    }
  }

  /** Undefined on success; otherwise the typed failure. A 429 without Retry-After waits `backoffMs`. */
  private async postOnce(url: URL, body: string, backoffMs: number): Promise<MailferryError | undefined> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return new ConnectionError(`${describe(url)} ${unreachableReason(error, timeoutMs)}`, { cause: error });
    }
    if (response.ok) {
      // Drain the body so the keep-alive socket goes back to the pool.
      await response.arrayBuffer().catch(() => undefined);
      return undefined;
    }
    const text = truncateText((await response.text().catch(() => '')).replace(/\s+/g, ' ').trim(), RESPONSE_TEXT_MAX_CHARS);
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), this.clock.now().getTime());
    return statusError(url, response.status, text, retryAfterMs ?? backoffMs, retryAfterMs !== undefined);
  }

  private backoffMs(attempt: number): number {
    const baseMs = this.options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    return backoffMs(attempt, { baseMs, maxMs: MAX_INLINE_WAIT_MS, jitterRatio: DEFAULT_JITTER_RATIO }, this.options.random);
  }
}

/** https anywhere; http only to this machine. Throws ValidationError naming the host, never the URL. */
export function parseWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError("The project's Teams webhook URL is not a valid URL; copy it again from the workflow's trigger.", {
      field: 'webhookUrl',
    });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) return url;
  throw new ValidationError(`The project's Teams webhook URL must use https:// (got ${url.protocol}//${url.host}).`, {
    field: 'webhookUrl',
  });
}

function statusError(url: URL, status: number, text: string, waitMs: number, hasRetryAfter: boolean): MailferryError {
  const said = `${describe(url)} answered ${status}${text ? `: ${text}` : ''}`;
  const kind = classifyHttpStatus(status, hasRetryAfter) ?? 'permanent';
  const advice = {
    throttled: '',
    transient: '',
    auth: ". The workflow's URL may have been reset or its owner lost access to the channel: copy the URL again from the workflow's trigger.",
    permanent: '. Teams did not accept the card; sending it again will not help.',
  }[kind];
  return httpFailureError(kind, said + advice, waitMs);
}

function unreachableReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `did not answer within ${timeoutMs} ms`;
  // undici wraps the socket error: "fetch failed" with the errno on `cause`.
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  return `could not be reached (${cause?.code ?? (error instanceof Error ? error.message : String(error))})`;
}

function describe(url: URL): string {
  return `The Teams Workflows webhook at ${url.host}`;
}

/** Same class, code and back-off, with the attempt count in the words an admin reads. */
function withAttempts(failure: MailferryError, attempts: number): MailferryError {
  if (attempts === 1) return failure;
  const message = `${failure.message} (gave up after ${attempts} attempts)`;
  if (failure instanceof ThrottledError) return new ThrottledError(message, failure.retryAfterMs ?? 0, { cause: failure });
  if (failure instanceof ConnectionError) return new ConnectionError(message, { cause: failure });
  return failure;
}
