import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileOutboxMailer } from '../adapters/file-outbox-mailer.js';
import { jsonLineLog } from '../adapters/json-line-log.js';
import { FileSecretVault } from '../adapters/file-secret-vault.js';
import { loadOrCreateLinkKey } from '../adapters/link-key-file.js';
import { SmtpMailer, type SmtpMailerConfig } from '../adapters/smtp-mailer.js';
import { TeamsWorkflowNotifier } from '../adapters/teams-workflow-notifier.js';
import type { Notifier } from '../core/ports.js';
import type { Pass } from '../core/model.js';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { SqliteJobQueue } from '../adapters/sqlite/sqlite-job-queue.js';
import { SqliteStore } from '../adapters/sqlite/sqlite-store.js';
import { createConnectorRegistry, type ConnectorOverrides } from '../connectors/registry.js';
import { systemClock, type Clock } from '../core/ports.js';
import type { TenantOwners } from '../core/services/context.js';
import type { EngineDeps, EngineLog } from '../core/engine/job-context.js';
import type { RetryPolicy } from '../core/engine/retry.js';
import { createMailferry } from '../core/app/create-mailferry.js';
import type { Mailferry } from '../core/app/mailferry.js';
import { schedulerTick } from '../core/engine/scheduler.js';
import { DEFAULT_WORKER_POOL_OPTIONS, WorkerPool } from '../core/engine/worker-pool.js';
import { LOCAL_ADMIN } from '../http/auth/local-admin-authenticator.js';
import { ensureError } from '../core/errors.js';
import { sealStoredSecretOptions } from '../core/secret-options.js';
import { ensurePrivateDirectory } from '../adapters/private-files.js';
import { startBufferCollector } from '../adapters/buffer-collector.js';

/**
 * Written once every client secret an earlier version stored in clear has moved to the vault.
 * Every save seals its secrets since, so the sweep over all projects and items runs once per data
 * directory, not at every start of the host or of each CLI command.
 */
export const SECRETS_SEALED_MARKER = 'secret-options-sealed';

async function sealClearSecretsOnce(store: SqliteStore, vault: FileSecretVault, dataDir: string): Promise<void> {
  const marker = join(dataDir, SECRETS_SEALED_MARKER);
  if (existsSync(marker)) return;
  await sealStoredSecretOptions(store, vault, await store.tenantIds());
  writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
}

/** The one tenant of the embedded host: a single local admin, loopback only. */
export const LOCAL_TENANT = LOCAL_ADMIN.tenantId;
export const DB_FILE = 'mailferry.db';
const SCHEDULER_INTERVAL_MS = 5_000;
/**
 * A pass this process runs is known to have ended the moment its engine ends it; one ended by
 * another process on the same data directory (the host of `npm start` running the last item) is
 * noticed by reading the pass this often.
 */
const OTHER_PROCESS_PASS_CHECK_MS = 2_000;

export interface EmbeddedConfig {
  dataDir: string;
  /** Mailboxes migrated at once by this process. */
  concurrency?: number;
  lockMs?: number;
  pollMs?: number;
  retry?: RetryPolicy;
  clock?: Clock;
  log?: EngineLog;
  connectors?: ConnectorOverrides;
  /** Where end users open their credential links, e.g. the host's own URL. */
  publicBaseUrl?: string;
  /** SMTP for end-user mail; without it messages go to `<data>/outbox/` as .eml files. */
  smtp?: SmtpMailerConfig;
  organizationName?: string;
  /** Pass-completion cards; defaults to posting to each project's Teams Workflows webhook. */
  notifier?: Notifier;
  /** Only for a runtime served behind Entra sign-in (tests): who founds each tenant. The local admin needs none. */
  tenantOwners?: TenantOwners;
  /**
   * Where Modern Auth and administrator sign-ins go instead of Microsoft Entra ID's own host
   * (MAILFERRY_ENTRA_AUTHORITY_HOST): a test stand-in such as the Graph test server's TOKEN_AUTHORITY host.
   */
  entraAuthorityHost?: string;
}

const DEFAULT_PUBLIC_BASE_URL = 'http://127.0.0.1:7420';
const OUTBOX_FROM = 'Mailferry <mailferry@localhost>';

/**
 * The embedded host (and the CLI): chooses its adapters (SQLite store and queue in one file, a
 * file-key vault, SMTP or an outbox folder, the Teams Workflows notifier), builds the application
 * with createMailferry, and runs the worker pool and the scheduler.
 */
export class EmbeddedRuntime {
  /** The application (named `services` since before it moved into core). */
  readonly services: Mailferry;
  readonly engine: EngineDeps;
  readonly store: SqliteStore;
  readonly queue: SqliteJobQueue;
  readonly dbPath: string;
  private readonly pool: WorkerPool;
  private schedulerTimer?: NodeJS.Timeout;
  private stopBufferCollector?: () => void;
  private ticking?: Promise<void>;
  private readonly passEndedWaiters = new Set<(pass: Pass) => void>();

  private constructor(config: EmbeddedConfig, vault: FileSecretVault, linkKey: Buffer) {
    const clock = config.clock ?? systemClock;
    this.dbPath = join(config.dataDir, DB_FILE);
    const db = openSqliteDatabase(this.dbPath);
    this.store = new SqliteStore(db, true);
    this.queue = new SqliteJobQueue(db, { clock });
    this.services = createMailferry(
      {
        store: this.store,
        queue: this.queue,
        vault,
        clock,
        log: config.log ?? jsonLineLog,
        connectorFor: createConnectorRegistry(config.connectors, undefined, { authorityHost: config.entraAuthorityHost }),
        mailer: config.smtp ? new SmtpMailer(config.smtp) : new FileOutboxMailer(join(config.dataDir, 'outbox'), OUTBOX_FROM),
        notifier: (webhookUrlFor) => config.notifier ?? new TeamsWorkflowNotifier(webhookUrlFor),
      },
      {
        endUser: { linkKey, publicBaseUrl: config.publicBaseUrl ?? DEFAULT_PUBLIC_BASE_URL, organizationName: config.organizationName },
        tenantOwners: config.tenantOwners,
        retry: config.retry,
      },
    );
    // Waiters (`passEnded`) hear of a pass's end before its card is posted, from the same engine
    // the workers and the scheduler run, so nobody has to poll for it.
    const postCard = this.services.engine.onPassEnded;
    this.engine = {
      ...this.services.engine,
      onPassEnded: async (pass) => {
        for (const waiter of [...this.passEndedWaiters]) waiter(pass);
        await postCard?.(pass);
      },
    };
    this.pool = new WorkerPool(this.engine, this.queue, {
      ...DEFAULT_WORKER_POOL_OPTIONS,
      workerId: `${hostname()}:${process.pid}`,
      concurrency: config.concurrency ?? DEFAULT_WORKER_POOL_OPTIONS.concurrency,
      lockMs: config.lockMs ?? DEFAULT_WORKER_POOL_OPTIONS.lockMs,
      pollMs: config.pollMs ?? DEFAULT_WORKER_POOL_OPTIONS.pollMs,
    });
  }

  static async open(config: EmbeddedConfig): Promise<EmbeddedRuntime> {
    ensurePrivateDirectory(config.dataDir);
    const vault = await FileSecretVault.open(config.dataDir);
    const runtime = new EmbeddedRuntime(config, vault, await loadOrCreateLinkKey(config.dataDir));
    try {
      await sealClearSecretsOnce(runtime.store, vault, config.dataDir);
    } catch (error) {
      await runtime.close();
      throw error;
    }
    return runtime;
  }

  /** Starts the workers and the scheduler. Without it the runtime only serves the API. */
  startWorkers(): void {
    if (this.schedulerTimer) return;
    this.stopBufferCollector = startBufferCollector();
    this.pool.start();
    const tick = () => {
      this.ticking ??= schedulerTick(this.engine, this.queue, [LOCAL_TENANT])
        .catch((error) => this.engine.log.error(`Scheduler tick failed: ${ensureError(error).message}`))
        .finally(() => (this.ticking = undefined));
    };
    tick();
    this.schedulerTimer = setInterval(tick, SCHEDULER_INTERVAL_MS);
  }

  /** Runs the scheduler once now (tests, one-shot CLI). */
  tick(): Promise<void> {
    return schedulerTick(this.engine, this.queue, [LOCAL_TENANT]);
  }

  /**
   * Resolves with the pass once it has completed or stopped: at once when this process's engine
   * ends it, within OTHER_PROCESS_PASS_CHECK_MS when another process on the data directory does.
   */
  passEnded(passId: string, otherProcessCheckMs = OTHER_PROCESS_PASS_CHECK_MS): Promise<Pass> {
    return new Promise<Pass>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (pass: Pass) => {
        this.passEndedWaiters.delete(waiter);
        clearTimeout(timer);
        resolve(pass);
      };
      const waiter = (pass: Pass) => {
        if (pass.id === passId) settle(pass);
      };
      this.passEndedWaiters.add(waiter);
      const check = () => {
        this.services.passes.getPass(LOCAL_TENANT, passId).then(
          (pass) => {
            if (!this.passEndedWaiters.has(waiter)) return;
            if (pass.status === 'completed' || pass.status === 'stopped') settle(pass);
            else timer = setTimeout(check, otherProcessCheckMs);
          },
          (error: unknown) => {
            this.passEndedWaiters.delete(waiter);
            reject(error);
          },
        );
      };
      check();
    });
  }

  get activeJobs(): number {
    return this.pool.active;
  }

  /** Stops cleanly: running jobs stop at their next checkpoint and release their leases. */
  async close(): Promise<void> {
    clearInterval(this.schedulerTimer);
    this.stopBufferCollector?.();
    // A device-code sign-in polls Entra ID for up to 15 minutes: stop it with the host.
    this.services.signIns.close();
    await this.pool.stop();
    await this.ticking;
    await this.store.close();
  }
}
