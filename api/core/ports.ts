/**
 * Ports: everything api/core needs from the world, declared here and nowhere else: Store,
 * JobQueue, SecretVault, Clock, Mailer, Notifier, and the mail connectors. Embedded adapters
 * (SQLite, files, SMTP) and Azure adapters (Cosmos DB, Service Bus, Key Vault, Graph mail)
 * implement them and pass the same conformance suites in test/. The connector contract is long
 * (sessions, folders, recovery) and lives in connector.ts; it is re-exported here so this file
 * stays the one list of ports.
 */
import type { Doc, Endpoint, ErrorRow, GroupSlots, Item, LedgerEntry, Pass, Project, Workgroup } from './model.js';

export type { MailConnector, MailboxSession } from './connector.js';

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

export interface ListQuery {
  /** Equality filters on indexed fields (`projectId`, `status`, `kind`). */
  where?: Record<string, string>;
  /** Case-insensitive substring match over the named top-level string fields. */
  search?: { text: string; fields: string[] };
  limit?: number;
  cursor?: string;
}

/** A tenant-scoped collection of documents. No method ever returns another tenant's record. */
export interface Collection<T extends Doc> {
  get(tenantId: string, id: string): Promise<T | undefined>;
  /** Fails with ConflictError if the id exists. Returns the stored doc (version 1). */
  insert(doc: Omit<T, 'version'>): Promise<T>;
  /** Inserts all or none. */
  insertMany(docs: Omit<T, 'version'>[]): Promise<T[]>;
  /** Fails with ConflictError unless `doc.version` equals the stored version; NotFoundError if gone. */
  replace(doc: T): Promise<T>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /** Stable order: creation order (then id). */
  list(tenantId: string, query?: ListQuery): Promise<Page<T>>;
  count(tenantId: string, where?: Record<string, string>): Promise<number>;
}

export interface Ledger {
  /** Every entry (done and pending) for one source folder of one item. */
  folderEntries(tenantId: string, itemId: string, folder: string): Promise<LedgerEntry[]>;
  /** Upsert by (tenantId, itemId, folder, sourceKey), in one transaction. */
  put(entries: LedgerEntry[]): Promise<void>;
  /** Removes pending entries that were never confirmed (the recovery found no copy). */
  deletePending(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void>;
  countDone(tenantId: string, itemId: string): Promise<number>;
  deleteItem(tenantId: string, itemId: string): Promise<void>;
}

export interface ErrorLog {
  /** Upsert by (tenantId, itemId, folder, sourceKey): the newest reason wins. */
  put(rows: ErrorRow[]): Promise<void>;
  list(tenantId: string, itemId: string, query?: { folder?: string; limit?: number; cursor?: string }): Promise<Page<ErrorRow>>;
  remove(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void>;
  count(tenantId: string, itemId: string): Promise<number>;
  deleteItem(tenantId: string, itemId: string): Promise<void>;
}

/**
 * Where a source folder's incremental listing left off (Graph: the `items/delta` delta link),
 * so the next pass asks only for what changed. Keyed (tenant, item, side, folder path).
 * The engine saves one only after everything the listing reported is in the ledger or the error
 * log (docs/endpoints.md: "Delta links between passes"), so following it never skips an item.
 */
export interface SyncCursor {
  tenantId: string;
  itemId: string;
  side: 'source' | 'destination';
  /** The folder path as the ledger names it. */
  folder: string;
  /** The server's id of the folder the cursor belongs to: a cursor for another folder id is stale. */
  folderIdentity: string;
  /** Opaque to the store (a delta link: a URL without credentials). */
  cursor: string;
  /** ISO time of the save. */
  savedAt: string;
}

export interface SyncCursors {
  get(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<SyncCursor | undefined>;
  /** Upsert by (tenantId, itemId, side, folder). */
  put(cursor: SyncCursor): Promise<void>;
  delete(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<void>;
  /** Every cursor of one item (the item or its project is deleted). */
  deleteItem(tenantId: string, itemId: string): Promise<void>;
}

export interface Store {
  projects: Collection<Project>;
  endpoints: Collection<Endpoint>;
  items: Collection<Item>;
  passes: Collection<Pass>;
  workgroups: Collection<Workgroup>;
  /** Concurrency slots per project for distributed queues; records of the system tenant. */
  groupSlots: Collection<GroupSlots>;
  ledger: Ledger;
  errors: ErrorLog;
  cursors: SyncCursors;
  /** System-wide: the tenants that have projects. For timer work only, never for a request. */
  tenantIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** One job = one item × one pass. */
export interface JobPayload {
  tenantId: string;
  projectId: string;
  itemId: string;
  passId: string;
}

export interface EnqueueOptions {
  /** Deduplication: a second enqueue with the same id while the first is not finished is ignored. */
  jobId?: string;
  /** Not deliverable before this instant ("start at", back-off). */
  runAt?: Date;
  /** Jobs of one group run at most `groupLimit` at a time (the project's maximum concurrent migrations). */
  group?: string;
  groupLimit?: number;
  maxAttempts?: number;
}

export interface LeasedJob {
  id: string;
  payload: JobPayload;
  /** 1 on first delivery. */
  attempt: number;
  maxAttempts: number;
  leaseToken: string;
  lockedUntil: Date;
}

export interface DeadLetter {
  id: string;
  payload: JobPayload;
  attempts: number;
  reason: string;
  at: Date;
}

export interface JobFailure {
  message: string;
  retryable: boolean;
  /** Wait at least this long before the next attempt (server back-off). */
  retryAfterMs?: number;
}

export interface JobQueue {
  enqueue(payload: JobPayload, options?: EnqueueOptions): Promise<string>;
  /** Takes the oldest deliverable job, honouring group limits, and locks it for `lockMs`. */
  lease(workerId: string, lockMs: number): Promise<LeasedJob | undefined>;
  /** Extends the lock; false if the lease was lost (expired and taken by someone else). */
  renew(job: LeasedJob, lockMs: number): Promise<boolean>;
  complete(job: LeasedJob): Promise<void>;
  /** Retries with exponential back-off and jitter (at least `retryAfterMs`), or dead-letters when not retryable or out of attempts. */
  fail(job: LeasedJob, failure: JobFailure): Promise<'retrying' | 'dead-lettered'>;
  /** Gives the job back without counting an attempt (shutdown, slice boundary, long throttle). */
  release(job: LeasedJob, runAt?: Date): Promise<void>;
  /** Returns jobs whose lock expired to waiting. */
  reapExpired(): Promise<number>;
  /** Removes waiting jobs matching the filter; returns their payloads. */
  cancel(filter: { tenantId: string; passId: string }): Promise<JobPayload[]>;
  deadLetters(tenantId: string): Promise<DeadLetter[]>;
  /** Waiting + leased jobs. */
  depth(): Promise<number>;
  /**
   * Calls `listener` whenever this process made a job deliverable (enqueued, released, retried,
   * reaped), so an idle worker pool wakes at once instead of at its next poll; returns the
   * unsubscribe. Absent where the queue delivers by itself (Service Bus triggers).
   */
  onWork?(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Secrets go in; an opaque reference comes out. Only the vault can turn a reference back. */
export interface SecretVault {
  put(tenantId: string, value: string): Promise<string>;
  get(tenantId: string, ref: string): Promise<string>;
  delete(tenantId: string, ref: string): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * Mailer: how the core sends an e-mail (end-user credential requests, "Notify users").
 * The embedded host uses SMTP (adapters/smtp-mailer.ts); the Azure build uses Microsoft Graph
 * sendMail (adapters/graph-mailer.ts). Both throw the typed errors of ../errors.ts.
 */
export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  /** Plain-text body: always sent, so every mail client can read the message. */
  text: string;
  /** Optional HTML alternative of the same content. */
  html?: string;
}

export interface Mailer {
  /**
   * Resolves once the transport accepted the message. Throws AuthError (the mailer's own
   * credentials), ConnectionError / ThrottledError (try later) or ValidationError (the
   * recipient was refused).
   */
  send(message: MailMessage): Promise<void>;
}

/** One row of the pass's error log grouped by reason, as StatisticsService reports them. */
export interface ErrorReasonCount {
  code: string;
  reason: string;
  count: number;
}

export interface PassEndedNotice {
  project: Project;
  /** The ended pass; its `summary` is what the notice reports. */
  pass: Pass;
  /** Most frequent first is not required: the card sorts and keeps the top few. */
  topErrors: ErrorReasonCount[];
  /** Where "Open in Mailferry" leads; overrides a Teams tab deep link built from configuration. */
  tabUrl?: string;
}

/**
 * Tells people outside Mailferry that something happened (a Teams channel today). Rejects with a
 * MailferryError; callers that must not fail because of a notice (settling a pass) catch it.
 */
export interface Notifier {
  notifyPassEnded(notice: PassEndedNotice): Promise<void>;
}
