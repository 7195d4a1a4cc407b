import { setMaxListeners } from 'node:events';
import { ensureError } from '../errors.js';
import type { JobQueue, LeasedJob } from '../ports.js';
import type { EngineDeps } from './job-context.js';
import { runLeasedJob } from './run-leased-job.js';

export interface WorkerPoolOptions {
  workerId: string;
  /** Jobs (mailboxes) this process runs at once; the queue's group limits apply on top. */
  concurrency: number;
  /** Lease length; renewed every third of it while the job runs. */
  lockMs: number;
  /**
   * Idle poll interval when the queue is empty. A queue that tells of new work (`onWork`) wakes the
   * pool at once for jobs this process adds; the poll finds jobs other processes added and
   * delayed jobs whose time came.
   */
  pollMs: number;
}

export const DEFAULT_WORKER_POOL_OPTIONS: Omit<WorkerPoolOptions, 'workerId'> = { concurrency: 4, lockMs: 60_000, pollMs: 1_000 };

/**
 * Leases jobs, runs them, renews their leases and settles each with the queue. Stopping aborts
 * running jobs at their next checkpoint and releases them, so they resume on the next start.
 */
export class WorkerPool {
  private readonly running = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly deps: EngineDeps,
    private readonly queue: JobQueue,
    private readonly options: WorkerPoolOptions,
  ) {
    // Each running job listens for the pool's shutdown (runLeasedJob), plus the idle wait: more
    // than Node's default of 10 at a concurrency of 16, which is not a leak.
    setMaxListeners(options.concurrency + 10, this.shutdown.signal);
  }

  start(): void {
    this.loop ??= this.pump();
  }

  get active(): number {
    return this.running.size;
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.loop;
    await Promise.allSettled([...this.running]);
  }

  private async pump(): Promise<void> {
    const { clock } = this.deps;
    while (!this.shutdown.signal.aborted) {
      if (this.running.size >= this.options.concurrency) {
        await Promise.race(this.running);
        continue;
      }
      let job: LeasedJob | undefined;
      try {
        job = await this.queue.lease(this.options.workerId, this.options.lockMs);
      } catch (error) {
        this.deps.log.error(`Could not lease a job: ${ensureError(error).message}`);
      }
      if (!job) {
        await this.idle(clock);
        continue;
      }
      const task = this.runOne(job).finally(() => this.running.delete(task));
      this.running.add(task);
    }
  }

  /** Sleeps until the queue tells of new work, the poll interval passes, or the pool stops. */
  private async idle(clock: EngineDeps['clock']): Promise<void> {
    const wake = new AbortController();
    const stop = () => wake.abort();
    const unsubscribe = this.queue.onWork?.(stop);
    this.shutdown.signal.addEventListener('abort', stop, { once: true });
    try {
      await clock.sleep(this.options.pollMs, wake.signal);
    } finally {
      unsubscribe?.();
      this.shutdown.signal.removeEventListener('abort', stop);
    }
  }

  private async runOne(job: LeasedJob): Promise<void> {
    try {
      await runLeasedJob(this.deps, this.queue, job, this.options.lockMs, this.shutdown.signal);
    } catch (error) {
      this.deps.log.error(`Could not settle job ${job.id}: ${ensureError(error).message}`, { jobId: job.id });
    }
  }
}
