/**
 * Exchange Online's Outlook limits, per application id and mailbox (../shared/GRAPH.md): at most
 * 4 concurrent requests, 10,000 requests per 10 minutes, 150 MB of uploads per 5 minutes; a
 * request over any of them gets 429 with Retry-After in seconds. Plus runtime switches a test
 * flips: a throttling storm (the next N requests get 429) and injected 503/504.
 *
 * Windows are fixed windows on the server's clock (so a test moves them with `clock.advance`).
 */

export interface GraphLimits {
  concurrency: number;
  requestsPerWindow: number;
  requestWindowMs: number;
  uploadBytesPerWindow: number;
  uploadWindowMs: number;
}

export const EXCHANGE_ONLINE_LIMITS: GraphLimits = {
  concurrency: 4,
  requestsPerWindow: 10_000,
  requestWindowMs: 10 * 60_000,
  uploadBytesPerWindow: 150 * 1024 * 1024,
  uploadWindowMs: 5 * 60_000,
};

export interface Refusal {
  status: 429 | 503 | 504;
  retryAfterSeconds: number;
  code: string;
  message: string;
}

interface Window {
  start: number;
  used: number;
}

interface Injection {
  status: 429 | 503 | 504;
  left: number;
  retryAfterSeconds: number;
}

const MS_PER_S = 1000;

export class GraphThrottle {
  /** Milliseconds every admitted request is held before it is answered (to build concurrency in tests). */
  responseDelayMs = 0;
  readonly counters = {
    admitted: 0,
    concurrencyRefusals: 0,
    requestBudgetRefusals: 0,
    uploadBudgetRefusals: 0,
    injected: 0,
    maxInFlight: 0,
  };
  private readonly inFlight = new Map<string, number>();
  private readonly requests = new Map<string, Window>();
  private readonly uploads = new Map<string, Window>();
  private injections: Injection[] = [];

  constructor(
    readonly limits: GraphLimits,
    private readonly now: () => number,
  ) {}

  /** The next `count` requests answer 429 (Exchange Online under load, every app throttled at once). */
  storm(count: number, retryAfterSeconds = 1): void {
    this.injections.push({ status: 429, left: count, retryAfterSeconds });
  }

  /** The next `count` requests answer `status` (503 Service Unavailable or 504 Gateway Timeout). */
  inject(status: 503 | 504, count: number, retryAfterSeconds = 1): void {
    this.injections.push({ status, left: count, retryAfterSeconds });
  }

  /** Requests in flight right now for `key`. */
  active(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /** A storm's or an injected failure's answer for the next request, if one is switched on. */
  injected(): Refusal | undefined {
    const next = this.injections[0];
    if (!next) return undefined;
    if (--next.left <= 0) this.injections.shift();
    this.counters.injected++;
    if (next.status === 429)
      return {
        status: 429,
        retryAfterSeconds: next.retryAfterSeconds,
        code: 'TooManyRequests',
        message: 'The server is busy. Please try again later.',
      };
    if (next.status === 503)
      return {
        status: 503,
        retryAfterSeconds: next.retryAfterSeconds,
        code: 'ServiceNotAvailable',
        message: 'The service is temporarily unavailable. Please try again later.',
      };
    return {
      status: 504,
      retryAfterSeconds: next.retryAfterSeconds,
      code: 'GatewayTimeout',
      message: 'The request timed out at the gateway. Please try again later.',
    };
  }

  /**
   * Admits one request of `uploadBytes` for `key` (application id + mailbox), or says why not.
   * The caller must call the returned `release` when the response is sent.
   */
  admit(key: string, uploadBytes: number): { release: () => void } | Refusal {
    const now = this.now();
    const active = this.active(key);
    if (active >= this.limits.concurrency) {
      this.counters.concurrencyRefusals++;
      return {
        status: 429,
        retryAfterSeconds: 1,
        code: 'ApplicationThrottled',
        message: `Application is over its MailboxConcurrency limit (${this.limits.concurrency} concurrent requests per mailbox).`,
      };
    }
    const req = this.window(this.requests, key, this.limits.requestWindowMs, now);
    if (req.used + 1 > this.limits.requestsPerWindow) {
      this.counters.requestBudgetRefusals++;
      return {
        status: 429,
        retryAfterSeconds: this.secondsLeft(req, this.limits.requestWindowMs, now),
        code: 'ApplicationThrottled',
        message: `Application is over its request limit for this mailbox (${this.limits.requestsPerWindow} requests per ${this.limits.requestWindowMs / MS_PER_S} s).`,
      };
    }
    const up = this.window(this.uploads, key, this.limits.uploadWindowMs, now);
    if (uploadBytes > 0 && up.used + uploadBytes > this.limits.uploadBytesPerWindow) {
      this.counters.uploadBudgetRefusals++;
      return {
        status: 429,
        retryAfterSeconds: this.secondsLeft(up, this.limits.uploadWindowMs, now),
        code: 'ApplicationThrottled',
        message: `Application is over its upload limit for this mailbox (${this.limits.uploadBytesPerWindow} bytes per ${this.limits.uploadWindowMs / MS_PER_S} s).`,
      };
    }
    req.used++;
    up.used += uploadBytes;
    this.inFlight.set(key, active + 1);
    this.counters.admitted++;
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, active + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = this.active(key) - 1;
        if (left > 0) this.inFlight.set(key, left);
        else this.inFlight.delete(key);
      },
    };
  }

  private window(map: Map<string, Window>, key: string, lengthMs: number, now: number): Window {
    let w = map.get(key);
    if (!w || now >= w.start + lengthMs) {
      w = { start: now, used: 0 };
      map.set(key, w);
    }
    return w;
  }

  private secondsLeft(w: Window, lengthMs: number, now: number): number {
    return Math.max(1, Math.ceil((w.start + lengthMs - now) / MS_PER_S));
  }
}
