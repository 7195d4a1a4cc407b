/**
 * Pacing shared by the HTTP connectors (EWS, Graph): a window of requests in flight that can
 * only shrink, and their retry policy: how often a request is tried, which waits are slept inside
 * the job (up to the one inline ceiling, MAX_INLINE_WAIT_MS) and which are handed back as a
 * ThrottledError, and a sleep on the connector's clock that a cancelled job interrupts.
 */
import type { ThrottledError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/ports.js';
import {
  type BackoffSchedule,
  DEFAULT_JITTER_RATIO,
  MAX_INLINE_WAIT_MS,
  backoffMs,
  parseRetryAfterMs,
  pauseUnlessAborted,
} from '../core/retry/index.js';

/** A semaphore whose size can only shrink (EWSMaxConcurrency found the hard way). */
export class Window {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(public size: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    this.active--;
    while (this.active < this.size && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!();
    }
  }
  shrink(): void {
    this.size = Math.max(1, Math.min(this.size, this.active) - 1);
  }
  /** Runs `task` inside the window. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}

/** How one HTTP connector request rides out throttling and server errors (exchangelib's retry policy object). */
export interface RequestRetryPolicy {
  /** Tries per request, the first included; then the last refusal is thrown. */
  maxAttempts: number;
  /** Server-suggested waits up to this long are slept inline; longer ones throw ThrottledError. */
  maxInlineWaitMs: number;
  /** The wait when a server throttles without saying how long (no Retry-After, no BackOffMilliseconds). */
  defaultThrottleWaitMs: number;
  /** Before repeating a request that failed on a server error (5xx) or a dropped connection. */
  serverErrorBackoff: BackoffSchedule;
}

export const DEFAULT_REQUEST_RETRY_POLICY: RequestRetryPolicy = {
  maxAttempts: 8,
  maxInlineWaitMs: MAX_INLINE_WAIT_MS,
  defaultThrottleWaitMs: 5_000,
  serverErrorBackoff: { baseMs: 500, maxMs: 8_000, jitterRatio: DEFAULT_JITTER_RATIO },
};

/** A transport's retry state: its policy, its clock and the job's abort signal. */
export class RequestRetries {
  /** Throttling waits slept inline, for tests and diagnostics. */
  throttledWaits = 0;

  constructor(
    readonly policy: RequestRetryPolicy,
    private readonly clock: Clock = systemClock,
    private readonly signal?: AbortSignal,
    private readonly random: () => number = Math.random,
  ) {}

  /** True when `attempt` (0 for the first try) was the last one the policy allows. */
  isLast(attempt: number): boolean {
    return attempt + 1 >= this.policy.maxAttempts;
  }

  /** The server's `Retry-After`, read against this transport's clock. */
  retryAfterMs(header: string | readonly string[] | null | undefined): number | undefined {
    return parseRetryAfterMs(header, this.clock.now().getTime());
  }

  /**
   * Sleeps a server-suggested wait before attempt `attempt + 1`, or throws `throttled(waitMs)` when
   * the wait is past the inline ceiling or no attempt is left (the queue reschedules the job).
   */
  async waitOutThrottle(waitMs: number, attempt: number, throttled: (waitMs: number) => ThrottledError): Promise<void> {
    if (this.isLast(attempt) || waitMs > this.policy.maxInlineWaitMs) throw throttled(waitMs);
    this.throttledWaits++;
    await this.pause(waitMs);
  }

  /** Sleeps the jittered back-off after a server error on attempt `attempt` (0 for the first try). */
  pauseAfterServerError(attempt: number): Promise<void> {
    return this.pause(backoffMs(attempt + 1, this.policy.serverErrorBackoff, this.random));
  }

  /** Sleeps on the transport's clock; a cancelled job ends the sleep at once with a ConnectionError. */
  pause(ms: number): Promise<void> {
    return pauseUnlessAborted(this.clock, ms, this.signal);
  }
}
