/**
 * How long a failed job waits before its next attempt. Shared by every JobQueue adapter so the
 * embedded queue and Service Bus (scheduled re-sends) back off alike.
 */
import { type BackoffSchedule, DEFAULT_JITTER_RATIO, backoffMs } from '../core/retry/index.js';

/** First retry after about 2 s; doubling per attempt: 2, 4, 8, 16 s … */
export const RETRY_BASE_DELAY_MS = 2_000;
/** A mailbox job retried for hours is better rescheduled by an admin than by back-off. */
export const RETRY_MAX_DELAY_MS = 10 * 60_000;

export const JOB_RETRY_BACKOFF: BackoffSchedule = {
  baseMs: RETRY_BASE_DELAY_MS,
  maxMs: RETRY_MAX_DELAY_MS,
  jitterRatio: DEFAULT_JITTER_RATIO,
};

/**
 * `attempt` is the attempt that just failed (1 for the first delivery). The server's own
 * `retryAfterMs` wins when it asks for longer than the back-off, even past the cap.
 * `random` returns [0, 1); injectable so tests can pin the jitter.
 */
export function retryDelayMs(attempt: number, retryAfterMs = 0, random: () => number = Math.random): number {
  return Math.max(retryAfterMs, backoffMs(attempt, JOB_RETRY_BACKOFF, random));
}
