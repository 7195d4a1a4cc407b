import { ensureError, type MailferryError } from '../errors.js';
import type { Clock } from '../ports.js';
import { DEFAULT_JITTER_RATIO, MAX_INLINE_WAIT_MS, backoffMs } from '../retry/index.js';

/**
 * How a job rides out faults without giving up its worker too early or holding it too long
 * (Temporal's "retries declared where the call is made"). Short throttles are slept in place;
 * long ones, and faults that outlast `maxReconnects`, leave the job to the queue's back-off.
 */
export interface RetryPolicy {
  /** Throttle waits up to this long are slept inside the job; longer ones reschedule it. */
  maxInlineWaitMs: number;
  /** Reconnect attempts per job before the queue's back-off takes over. */
  maxReconnects: number;
  /** First reconnect delay; doubles each time (jittered, never past `maxInlineWaitMs`). */
  reconnectBaseMs: number;
}

/** The inline ceiling is the transports' own: a wait they handed back is never slept again here. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxInlineWaitMs: MAX_INLINE_WAIT_MS, maxReconnects: 5, reconnectBaseMs: 1_000 };
/** For tests: no waiting. */
export const FAIL_FAST_RETRY_POLICY: RetryPolicy = { maxInlineWaitMs: 0, maxReconnects: 0, reconnectBaseMs: 0 };

/**
 * Runs `attempt` until it succeeds, sleeping for short throttles and reconnect back-off.
 * Throws the last error when it is not retryable, the wait is too long, or attempts run out.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  clock: Clock,
  attempt: (round: number) => Promise<T>,
  hooks: {
    onRetry?: (error: MailferryError, waitMs: number) => void;
    /** True when the failed attempt still moved work forward: the count of consecutive failures restarts. */
    madeProgress?: () => boolean;
    signal?: AbortSignal;
  } = {},
): Promise<T> {
  const { onRetry, madeProgress, signal } = hooks;
  for (let round = 0, failures = 0; ; round++) {
    try {
      return await attempt(round);
    } catch (raw) {
      const error = ensureError(raw);
      failures = madeProgress?.() ? 1 : failures + 1;
      if (!error.retryable || failures > policy.maxReconnects || signal?.aborted) throw error;
      const reconnect = { baseMs: policy.reconnectBaseMs, maxMs: policy.maxInlineWaitMs, jitterRatio: DEFAULT_JITTER_RATIO };
      const waitMs = error.retryAfterMs ?? backoffMs(failures, reconnect);
      if (waitMs > policy.maxInlineWaitMs) throw error;
      onRetry?.(error, waitMs);
      await clock.sleep(waitMs, signal);
    }
  }
}
