/**
 * Exponential back-off with jitter, for every retry loop that has no wait from the server: the job
 * queues, the Teams notifier, the EWS and Graph transports' server errors, the engine's reconnects.
 * Jitter spreads callers that failed together (one throttled server) so they do not return together.
 */

export interface BackoffSchedule {
  /** The wait after the first failure. */
  baseMs: number;
  /** Never wait longer than this of our own accord (a server's `Retry-After` may ask for more). */
  maxMs: number;
  /** ±this fraction of the wait, e.g. 0.2 for ±20 %. */
  jitterRatio: number;
}

/** ±20 %: enough to spread a burst of failures, small enough to keep the schedule predictable. */
export const DEFAULT_JITTER_RATIO = 0.2;

/**
 * The wait before the next attempt, `attempt` being the attempt that just failed (1 for the first):
 * base, 2 × base, 4 × base … jittered, then capped. `random` returns [0, 1); tests pin it.
 */
export function backoffMs(attempt: number, schedule: BackoffSchedule, random: () => number = Math.random): number {
  const exponential = schedule.baseMs * 2 ** Math.max(0, attempt - 1);
  const jitter = 1 + schedule.jitterRatio * (2 * random() - 1);
  return Math.min(schedule.maxMs, Math.round(exponential * jitter));
}
