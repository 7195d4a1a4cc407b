/**
 * The one ceiling between "sleep inside the job" and "give the job back to the queue". A worker
 * sleeping on a server's back-off holds a slot of *Maximum concurrent migrations* and a lease;
 * past half a minute the queue's scheduled retry costs less (and spends no attempt). The EWS and
 * Graph transports, the engine's retry loop and the notifiers all use this value, so a wait the
 * transport hands back is never slept again one layer up.
 */
import { ConnectionError } from '../errors.js';
import type { Clock } from '../ports.js';

export const MAX_INLINE_WAIT_MS = 30_000;

/** Sleeps `ms` on `clock`; rejects with a ConnectionError as soon as `signal` aborts (the job was cancelled). */
export async function pauseUnlessAborted(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal?.aborted) await clock.sleep(ms, signal);
  if (signal?.aborted) throw new ConnectionError('The job was cancelled.');
}
