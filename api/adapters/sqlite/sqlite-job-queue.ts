/**
 * The embedded JobQueue: durable jobs with leases in SQLite. Delivery is at least once: a
 * worker that dies holding a lease loses nothing, its job comes back when the lease expires,
 * and the copy engine's ledger makes the second run harmless. Every state change is one
 * transaction, so a SIGKILL between statements cannot leave a job half-moved.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, ValidationError } from '../../core/errors.js';
import {
  systemClock,
  type Clock,
  type DeadLetter,
  type EnqueueOptions,
  type JobFailure,
  type JobPayload,
  type JobQueue,
  type LeasedJob,
} from '../../core/ports.js';
import { retryDelayMs } from '../job-retry-backoff.js';
import { openSqliteDatabase, type SqliteDb } from './sqlite-database.js';

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface SqliteJobQueueOptions {
  clock?: Clock;
  /** Jitter source for back-off; tests pin it. */
  random?: () => number;
}

interface JobRow {
  seq: number;
  id: string;
  tenant_id: string;
  payload: string;
  attempt: number;
  max_attempts: number;
  expiries: number;
  lease_token: string | null;
  locked_until: number | null;
}

interface DeadLetterRow {
  id: string;
  payload: string;
  attempts: number;
  reason: string;
  at: number;
}

function positiveInteger(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new ValidationError(`${field} must be a positive whole number (got ${value}).`, { field });
  }
  return value;
}

function leaseLost(job: LeasedJob): ConflictError {
  return new ConflictError(`The lease on job ${job.id} was lost (it expired and the job went back to the queue).`, {
    retryable: false,
  });
}

export class SqliteJobQueue implements JobQueue {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly sql;
  private readonly workListeners = new Set<() => void>();

  constructor(
    private readonly db: SqliteDb,
    options: SqliteJobQueueOptions = {},
    private readonly ownsDb = false,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.sql = {
      insert: db.prepare(`
        INSERT INTO jobs (id, tenant_id, pass_id, payload, group_key, group_limit, state, run_at, max_attempts, created_at)
        VALUES (@id, @tenantId, @passId, @payload, @group, @groupLimit, 'waiting', @runAt, @maxAttempts, @now)
        ON CONFLICT (id) DO NOTHING`),
      // A job is deliverable when its time has come and its group has a free slot; a slot is
      // taken by a job whose lease has not expired.
      nextDeliverable: db.prepare(`
        SELECT * FROM jobs AS j
        WHERE j.state = 'waiting' AND j.run_at <= @now
          AND (j.group_key IS NULL OR j.group_limit IS NULL OR j.group_limit > (
                SELECT COUNT(*) FROM jobs AS l
                WHERE l.group_key = j.group_key AND l.state = 'leased' AND l.locked_until > @now))
        ORDER BY j.run_at, j.seq
        LIMIT 1`),
      markLeased: db.prepare(`
        UPDATE jobs SET state = 'leased', attempt = attempt + 1, lease_token = @token,
                        locked_until = @lockedUntil, worker_id = @workerId
        WHERE seq = @seq`),
      expired: db.prepare(`SELECT * FROM jobs WHERE state = 'leased' AND locked_until <= ?`),
      backToWaiting: db.prepare(`
        UPDATE jobs SET state = 'waiting', run_at = @runAt, attempt = @attempt, expiries = @expiries,
                        lease_token = NULL, locked_until = NULL, worker_id = NULL
        WHERE seq = @seq`),
      renew: db.prepare(`
        UPDATE jobs SET locked_until = @lockedUntil
        WHERE id = @id AND lease_token = @token AND state = 'leased' AND locked_until > @now`),
      byLease: db.prepare(`SELECT * FROM jobs WHERE id = ? AND lease_token = ? AND state = 'leased'`),
      deleteJob: db.prepare('DELETE FROM jobs WHERE seq = ?'),
      insertDeadLetter: db.prepare(`
        INSERT INTO dead_letters (id, tenant_id, payload, attempts, reason, at) VALUES (?, ?, ?, ?, ?, ?)`),
      waitingOfPass: db.prepare(`SELECT * FROM jobs WHERE tenant_id = ? AND pass_id = ? AND state = 'waiting' ORDER BY seq`),
      deadLetters: db.prepare('SELECT * FROM dead_letters WHERE tenant_id = ? ORDER BY seq'),
      depth: db.prepare('SELECT COUNT(*) AS n FROM jobs'),
    };
  }

  /** Opens (creating or upgrading) a file used by this queue alone. */
  static open(path: string, options: SqliteJobQueueOptions = {}): SqliteJobQueue {
    return new SqliteJobQueue(openSqliteDatabase(path), options, true);
  }

  async enqueue(payload: JobPayload, options: EnqueueOptions = {}): Promise<string> {
    for (const field of ['tenantId', 'projectId', 'itemId', 'passId'] as const) {
      if (typeof payload[field] !== 'string' || payload[field].length === 0) {
        throw new ValidationError(`A job needs a ${field}.`, { field });
      }
    }
    const id = options.jobId ?? randomUUID();
    // ON CONFLICT DO NOTHING is the de-duplication: the id of a job still waiting or leased is
    // taken, and a second enqueue leaves the first untouched.
    this.sql.insert.run({
      id,
      tenantId: payload.tenantId,
      passId: payload.passId,
      payload: JSON.stringify(payload),
      group: options.group ?? null,
      groupLimit: positiveInteger(options.groupLimit, 'groupLimit') ?? null,
      runAt: (options.runAt ?? this.clock.now()).getTime(),
      maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts') ?? DEFAULT_MAX_ATTEMPTS,
      now: this.clock.now().getTime(),
    });
    this.workArrived();
    return id;
  }

  async lease(workerId: string, lockMs: number): Promise<LeasedJob | undefined> {
    positiveInteger(lockMs, 'lockMs');
    // IMMEDIATE takes the write lock before reading, so two workers (or processes) never pick
    // the same row, and the group count they check cannot change under them.
    return this.db
      .transaction((): LeasedJob | undefined => {
        const now = this.clock.now().getTime();
        // Expired leases first: a queue nobody reaps still redelivers (Service Bus does the same).
        this.reapAt(now);
        const row = this.sql.nextDeliverable.get({ now }) as JobRow | undefined;
        if (!row) return undefined;
        const job: LeasedJob = {
          id: row.id,
          payload: JSON.parse(row.payload) as JobPayload,
          attempt: row.attempt + 1,
          maxAttempts: row.max_attempts,
          leaseToken: randomUUID(),
          lockedUntil: new Date(now + lockMs),
        };
        this.sql.markLeased.run({ seq: row.seq, token: job.leaseToken, lockedUntil: now + lockMs, workerId });
        return job;
      })
      .immediate();
  }

  async renew(job: LeasedJob, lockMs: number): Promise<boolean> {
    positiveInteger(lockMs, 'lockMs');
    const now = this.clock.now().getTime();
    const lockedUntil = now + lockMs;
    const renewed = this.sql.renew.run({ id: job.id, token: job.leaseToken, now, lockedUntil }).changes === 1;
    if (renewed) job.lockedUntil = new Date(lockedUntil);
    return renewed;
  }

  async complete(job: LeasedJob): Promise<void> {
    this.withLease(job, (row) => this.sql.deleteJob.run(row.seq));
  }

  async fail(job: LeasedJob, failure: JobFailure): Promise<'retrying' | 'dead-lettered'> {
    const verdict = this.withLease(job, (row): 'retrying' | 'dead-lettered' => {
      if (failure.retryable && row.attempt < row.max_attempts) {
        const now = this.clock.now().getTime();
        const runAt = now + retryDelayMs(row.attempt, failure.retryAfterMs, this.random);
        this.sql.backToWaiting.run({ seq: row.seq, runAt, attempt: row.attempt, expiries: row.expiries });
        return 'retrying';
      }
      this.deadLetter(row, failure.message, this.clock.now().getTime());
      return 'dead-lettered';
    });
    if (verdict === 'retrying') this.workArrived();
    return verdict;
  }

  async release(job: LeasedJob, runAt?: Date): Promise<void> {
    this.withLease(job, (row) => {
      // The attempt counted at lease time is given back: a released job did not fail.
      this.sql.backToWaiting.run({
        seq: row.seq,
        runAt: (runAt ?? this.clock.now()).getTime(),
        attempt: Math.max(0, row.attempt - 1),
        expiries: row.expiries,
      });
    });
    this.workArrived();
  }

  async reapExpired(): Promise<number> {
    const reaped = this.db.transaction(() => this.reapAt(this.clock.now().getTime())).immediate();
    if (reaped) this.workArrived();
    return reaped;
  }

  async cancel(filter: { tenantId: string; passId: string }): Promise<JobPayload[]> {
    return this.db
      .transaction(() => {
        const rows = this.sql.waitingOfPass.all(filter.tenantId, filter.passId) as JobRow[];
        for (const row of rows) this.sql.deleteJob.run(row.seq);
        return rows.map((row) => JSON.parse(row.payload) as JobPayload);
      })
      .immediate();
  }

  async deadLetters(tenantId: string): Promise<DeadLetter[]> {
    return (this.sql.deadLetters.all(tenantId) as DeadLetterRow[]).map((row) => ({
      id: row.id,
      payload: JSON.parse(row.payload) as JobPayload,
      attempts: row.attempts,
      reason: row.reason,
      at: new Date(row.at),
    }));
  }

  async depth(): Promise<number> {
    return (this.sql.depth.get() as { n: number }).n;
  }

  onWork(listener: () => void): () => void {
    this.workListeners.add(listener);
    return () => this.workListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.workListeners.clear();
    if (this.ownsDb && this.db.open) this.db.close();
  }

  /** Listeners run after the transaction committed, so a woken worker sees the job. */
  private workArrived(): void {
    for (const listener of [...this.workListeners]) listener();
  }

  /** Runs `action` on the job's row only while `job` still holds its lease. */
  private withLease<R>(job: LeasedJob, action: (row: JobRow) => R): R {
    return this.db
      .transaction(() => {
        const row = this.sql.byLease.get(job.id, job.leaseToken) as JobRow | undefined;
        if (!row) throw leaseLost(job);
        return action(row);
      })
      .immediate();
  }

  /** Must run inside a transaction. A job whose attempts ran out while leased is dead-lettered. */
  private reapAt(now: number): number {
    const rows = this.sql.expired.all(now) as JobRow[];
    for (const row of rows) {
      const expiries = row.expiries + 1;
      if (row.attempt >= row.max_attempts) {
        this.deadLetter(row, `lease expired ${expiries} times`, now);
      } else {
        this.sql.backToWaiting.run({ seq: row.seq, runAt: now, attempt: row.attempt, expiries });
      }
    }
    return rows.length;
  }

  private deadLetter(row: JobRow, reason: string, at: number): void {
    this.sql.deleteJob.run(row.seq);
    this.sql.insertDeadLetter.run(row.id, row.tenant_id, row.payload, row.attempt, reason, at);
  }
}
