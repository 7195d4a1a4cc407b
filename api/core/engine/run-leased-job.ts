import { ensureError } from '../errors.js';
import type { JobQueue, LeasedJob } from '../ports.js';
import type { EngineDeps } from './job-context.js';
import { failJob, runMigrationJob, type JobOutcome } from './run-migration-job.js';

const RENEWALS_PER_LOCK = 3;

/**
 * Runs one leased job to its end and settles it with the queue: renews the lease while it runs
 * (stopping the job if the lease is lost), then completes, retries with back-off, reschedules
 * after a long server back-off, releases on shutdown, or dead-letters and fails the item.
 * Shared by the embedded worker pool and the Azure Service Bus trigger.
 */
export async function runLeasedJob(
  deps: EngineDeps,
  queue: JobQueue,
  job: LeasedJob,
  lockMs: number,
  shutdown?: AbortSignal,
): Promise<JobOutcome['kind']> {
  const jobAbort = new AbortController();
  const onShutdown = () => jobAbort.abort();
  shutdown?.addEventListener('abort', onShutdown, { once: true });
  const renewer = setInterval(
    () => {
      queue.renew(job, lockMs).then(
        (held) => {
          if (!held) jobAbort.abort(); // another worker owns it now: stop writing
        },
        () => undefined,
      );
    },
    Math.floor(lockMs / RENEWALS_PER_LOCK),
  );
  try {
    const outcome = await runMigrationJob(deps, job.payload, jobAbort.signal).catch(
      (error): JobOutcome => ({ kind: 'retry', error: ensureError(error) }),
    );
    await settle(deps, queue, job, outcome);
    return outcome.kind;
  } finally {
    clearInterval(renewer);
    shutdown?.removeEventListener('abort', onShutdown);
  }
}

async function settle(deps: EngineDeps, queue: JobQueue, job: LeasedJob, outcome: JobOutcome): Promise<void> {
  if (outcome.kind === 'finished') return queue.complete(job);
  if (outcome.kind === 'released') return queue.release(job);
  const { error } = outcome;
  const { retry, clock } = deps;
  if (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxInlineWaitMs) {
    // A long server back-off is not the job's fault: come back later without spending an attempt.
    return queue.release(job, new Date(clock.now().getTime() + error.retryAfterMs));
  }
  const verdict = await queue.fail(job, { message: error.message, retryable: error.retryable, retryAfterMs: error.retryAfterMs });
  if (verdict === 'dead-lettered') {
    await failJob(deps, job.payload, `${error.message} (gave up after ${job.attempt} attempts)`);
  }
}
