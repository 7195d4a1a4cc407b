/**
 * The composition root of the Azure build: reads app settings once per worker process and builds
 * the services and the Entra ID authenticator. It never imports the embedded host's local admin.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { FileSecretVault } from '../adapters/file-secret-vault.js';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { SqliteJobQueue } from '../adapters/sqlite/sqlite-job-queue.js';
import { SqliteStore } from '../adapters/sqlite/sqlite-store.js';
import { createConnectorRegistry } from '../connectors/registry.js';
import { MailferryError, ValidationError } from '../core/errors.js';
import type { EngineDeps } from '../core/engine/job-context.js';
import { jsonLineLog } from '../adapters/json-line-log.js';
import { DEFAULT_RETRY_POLICY } from '../core/engine/retry.js';
import { systemClock, type JobQueue } from '../core/ports.js';
import type { Authenticator } from '../http/auth/authenticator.js';
import { EntraAuthenticator } from '../http/auth/entra-authenticator.js';
import { Services } from '../http/services.js';

export interface AzureHost {
  services: Services;
  authenticator: Authenticator;
  /** What timer and (next) queue triggers run the engine with. */
  engine: EngineDeps;
  queue: JobQueue;
}

const CHECKPOINT_MS = 1_000;

let host: Promise<AzureHost> | undefined;

/** Built on first use and shared by every invocation of this worker (clients are expensive). */
export function azureHost(env: NodeJS.ProcessEnv = process.env): Promise<AzureHost> {
  host ??= buildAzureHost(env).catch((error) => {
    host = undefined; // let the next invocation retry after a configuration fix
    throw error;
  });
  return host;
}

async function buildAzureHost(env: NodeJS.ProcessEnv): Promise<AzureHost> {
  const audiences = list(env.MAILFERRY_ENTRA_AUDIENCES);
  if (!audiences.length) {
    throw new ValidationError('Set MAILFERRY_ENTRA_AUDIENCES to the API app registration (client id and/or api:// URI): every request must carry an Entra ID token for it.', { field: 'MAILFERRY_ENTRA_AUDIENCES' });
  }
  const authenticator = new EntraAuthenticator({ audiences, allowedTenants: list(env.MAILFERRY_ALLOWED_TENANTS), jwksUri: env.MAILFERRY_ENTRA_JWKS_URI });
  const storeKind = env.MAILFERRY_STORE ?? 'sqlite';
  if (storeKind !== 'sqlite') {
    throw new MailferryError('unsupported', `MAILFERRY_STORE=${storeKind} is not available in this build; the Cosmos DB store and Service Bus queue adapters are not written yet. Use MAILFERRY_STORE=sqlite.`, { field: 'MAILFERRY_STORE' });
  }
  const dataDir = env.MAILFERRY_DATA ?? join(env.HOME ?? '/tmp', 'mailferry');
  const db = openSqliteDatabase(join(dataDir, 'mailferry.db'));
  const vault = await FileSecretVault.open(dataDir);
  const store = new SqliteStore(db, true);
  const queue = new SqliteJobQueue(db);
  const connectorFor = createConnectorRegistry();
  const log = jsonLineLog;
  const engine: EngineDeps = {
    store, vault, clock: systemClock, connectorFor, retry: DEFAULT_RETRY_POLICY, log, checkpointMs: CHECKPOINT_MS,
    onPassEnded: (pass) => log.info(`Pass ${pass.kind} ${pass.status}`, { passId: pass.id, ...pass.summary }),
  };
  const services = new Services({ store, queue, vault, clock: systemClock, newId: randomUUID, connectorFor });
  return { services, authenticator, engine, queue };
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
