/**
 * The whole application on in-memory parts, for unit tests that run in milliseconds: the real
 * SQLite store and job queue on one `:memory:` database, the Key Vault adapter over its in-memory
 * stand-in, a TestClock, in-memory mailboxes behind the `imap` connector, and a mailer and a
 * notifier that keep what they are given. It is built by the one composition root,
 * createMailferry, as every host is; a test drives the queue itself (runQueue), so nothing runs
 * on a timer and nothing races.
 */
import { createHash } from 'node:crypto';
import { KeyVaultSecretVault } from '../../api/adapters/key-vault/key-vault-secret-vault.js';
import { openSqliteDatabase } from '../../api/adapters/sqlite/sqlite-database.js';
import { SqliteJobQueue } from '../../api/adapters/sqlite/sqlite-job-queue.js';
import { SqliteStore } from '../../api/adapters/sqlite/sqlite-store.js';
import { createMailferry } from '../../api/core/app/create-mailferry.js';
import type { Mailferry } from '../../api/core/app/mailferry.js';
import type { MailConnector, MailboxAccess, MailboxSession } from '../../api/core/connector.js';
import { LinkKeyring } from '../../api/core/end-user/credential-link.js';
import type { JobOutcome } from '../../api/core/engine/finish-job.js';
import type { RetryPolicy } from '../../api/core/engine/retry.js';
import { runLeasedJob } from '../../api/core/engine/run-leased-job.js';
import { schedulerTick } from '../../api/core/engine/scheduler.js';
import { AuthError } from '../../api/core/errors.js';
import type { Item, Project } from '../../api/core/model.js';
import type { MailMessage, PassEndedNotice } from '../../api/core/ports.js';
import { parseInput, passInput } from '../../api/core/schemas.js';
import { InMemoryKeyVault } from './in-memory-key-vault.js';
import { InMemoryMailbox } from './in-memory-mailbox.js';
import { TestClock } from './test-clock.js';

export const TENANT = 'tenant-unit';
/** Long enough that no lease expires unless a test moves the clock past it. */
export const LOCK_MS = 60_000;
/** Inline waits up to a minute, three reconnects: the production shape, on a clock that only a test moves. */
export const UNIT_RETRY_POLICY: RetryPolicy = { maxInlineWaitMs: 60_000, maxReconnects: 3, reconnectBaseMs: 1_000 };

/** Mailboxes by address; a mailbox with a password refuses every other one, as a server would. */
export class InMemoryConnector implements MailConnector {
  readonly mailboxes = new Map<string, InMemoryMailbox>();
  readonly passwords = new Map<string, string>();
  /** Sessions opened so far (a reconnect opens new ones). */
  opened = 0;

  mailbox(address: string): InMemoryMailbox {
    const mailbox = this.mailboxes.get(address) ?? new InMemoryMailbox();
    this.mailboxes.set(address, mailbox);
    return mailbox;
  }

  async open(access: MailboxAccess): Promise<MailboxSession> {
    const required = this.passwords.get(access.mailbox);
    if (required !== undefined && access.password !== required)
      throw new AuthError(`Login as "${access.login ?? access.mailbox}" failed: wrong password.`);
    this.opened++;
    return this.mailbox(access.mailbox).open();
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export interface InMemoryApp {
  app: Mailferry;
  store: SqliteStore;
  queue: SqliteJobQueue;
  clock: TestClock;
  connector: InMemoryConnector;
  /** E-mail the application sent (credential links, reports). */
  mail: MailMessage[];
  /** Pass-ended notices (the Teams cards). */
  cards: PassEndedNotice[];
  log: LogLine[];
  /** Two IMAP endpoints with an admin login, a project between them, with these support options. */
  project(options?: string[]): Promise<Project>;
  /** An item whose source and destination are in-memory mailboxes. */
  addItem(project: Project, name: string, extra?: { endUserCredentials?: boolean; options?: string[] }): Promise<Item>;
  startPass(
    project: Project,
    kind: 'verify' | 'trial' | 'prestage' | 'full' | 'retry-errors',
    items: Item[],
    extra?: Record<string, unknown>,
  ): ReturnType<Mailferry['startPass']>;
  /** Leases and runs every deliverable job, one at a time, until the queue has none: each job's outcome. */
  runQueue(): Promise<JobOutcome['kind'][]>;
  /** The scheduler's timer work, once. */
  tick(): Promise<void>;
  item(item: Item): Promise<Item>;
  close(): Promise<void>;
}

export function inMemoryApp(
  settings: {
    retry?: RetryPolicy;
    /** Stands between the engine and the in-memory connector (a test's probe). */
    wrap?: (inner: MailConnector) => MailConnector;
  } = {},
): InMemoryApp {
  const clock = new TestClock();
  const db = openSqliteDatabase(':memory:');
  const store = new SqliteStore(db, true);
  // Back-off jitter pinned: a retried job's next run is one known instant.
  const queue = new SqliteJobQueue(db, { clock, random: () => 0.5 });
  const connector = new InMemoryConnector();
  const wrapped = settings.wrap ? settings.wrap(connector) : connector;
  const mail: MailMessage[] = [];
  const cards: PassEndedNotice[] = [];
  const log: LogLine[] = [];
  const line = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) =>
    void log.push({ level, message, fields });
  const app = createMailferry(
    {
      store,
      queue,
      clock,
      connectorFor: () => wrapped,
      vault: new KeyVaultSecretVault(new InMemoryKeyVault()),
      log: { info: line('info'), warn: line('warn'), error: line('error') },
      mailer: { send: async (message) => void mail.push(message) },
      notifier: () => ({ notifyPassEnded: async (notice) => void cards.push(notice) }),
    },
    {
      endUser: { linkKey: LinkKeyring.generateKey(), publicBaseUrl: 'https://mailferry.test' },
      retry: settings.retry ?? UNIT_RETRY_POLICY,
    },
  );

  return {
    app,
    store,
    queue,
    clock,
    connector,
    mail,
    cards,
    log,
    async project(options = []) {
      const endpoint = (name: string) =>
        app.projects.createEndpoint(TENANT, {
          name,
          kind: 'imap',
          host: `${name}.test`,
          security: 'none',
          allowSelfSigned: false,
          adminMode: 'login-star',
          adminLogin: 'admin',
          adminPassword: 'admin-pw',
          authMechanism: 'password',
          domains: [],
        });
      const [source, destination] = [await endpoint('source'), await endpoint('destination')];
      return app.projects.createProject(TENANT, {
        name: 'Unit',
        sourceEndpointId: source.id,
        destinationEndpointId: destination.id,
        options,
        maxConcurrentMigrations: 5,
      });
    },
    addItem(project, name, extra = {}) {
      return app.items.addItem(TENANT, project.id, {
        sourceAddress: `${name}@src.test`,
        destinationAddress: `${name}@dst.test`,
        endUserCredentials: extra.endUserCredentials ?? false,
        options: extra.options ?? [],
      });
    },
    startPass(project, kind, items, extra = {}) {
      return app.startPass(TENANT, project.id, parseInput(passInput, { kind, itemIds: items.map((i) => i.id), ...extra }));
    },
    async runQueue() {
      const outcomes: JobOutcome['kind'][] = [];
      for (let job = await queue.lease('unit-worker', LOCK_MS); job; job = await queue.lease('unit-worker', LOCK_MS)) {
        outcomes.push(await runLeasedJob(app.engine, queue, job, LOCK_MS));
      }
      return outcomes;
    },
    tick: () => schedulerTick(app.engine, queue, [TENANT]),
    item: (item) => app.items.getItem(TENANT, item.id),
    close: () => store.close(),
  };
}

/** A small RFC 5322 message, padded to at least `bytes`. */
export function message(n: number, bytes = 0): Buffer {
  const head = `From: sender${n}@src.test\r\nTo: owner@src.test\r\nSubject: Message ${n}\r\nMessage-ID: <m${n}@src.test>\r\n\r\n`;
  return Buffer.from(`${head}Body of message ${n}.\r\n${'x'.repeat(Math.max(0, bytes - head.length - 24))}\r\n`);
}

/** What a mailbox holds, folder by folder (subject, digest of the bytes, flags, date): equal means each message copied once, exactly. */
export function contents(mailbox: InMemoryMailbox): Record<string, string[]> {
  return Object.fromEntries(
    [...mailbox.folders].map(([path, folder]) => [
      path,
      folder.messages.map((m) => {
        const subject = /Subject: (.*)\r\n/.exec(m.bytes.toString())?.[1];
        return `${subject} #${createHash('sha256').update(m.bytes).digest('hex').slice(0, 12)} [${m.flags.join(' ')}] @${m.internalDate}`;
      }),
    ]),
  );
}
