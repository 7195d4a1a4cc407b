/**
 * The Azure build's host: reads app settings once per worker process, picks the adapters (Cosmos
 * DB or SQLite, Service Bus or SQLite queue, Key Vault or file vault, Graph mail, the Teams
 * Workflows notifier) and builds the application with createMailferry. It never imports the
 * embedded host's local admin. Settings are declared in infra/main.bicep.
 */
import { join } from 'node:path';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { CosmosStore } from '../adapters/cosmos/cosmos-store.js';
import { FileSecretVault } from '../adapters/file-secret-vault.js';
import { GraphMailer } from '../adapters/graph-mailer.js';
import { jsonLineLog } from '../adapters/json-line-log.js';
import { KeyVaultSecretVault } from '../adapters/key-vault/key-vault-secret-vault.js';
import { loadOrCreateLinkKeySecret } from '../adapters/key-vault/link-key-secret.js';
import { loadOrCreateLinkKey } from '../adapters/link-key-file.js';
import { ServiceBusJobQueue } from '../adapters/service-bus/service-bus-job-queue.js';
import { openSqliteDatabase, type SqliteDb } from '../adapters/sqlite/sqlite-database.js';
import { SqliteJobQueue } from '../adapters/sqlite/sqlite-job-queue.js';
import { SqliteStore } from '../adapters/sqlite/sqlite-store.js';
import { StoreGroupLimiter } from '../adapters/store-group-limiter.js';
import { TeamsWorkflowNotifier } from '../adapters/teams-workflow-notifier.js';
import { createConnectorRegistry } from '../connectors/registry.js';
import { outboundPolicyFromEnv } from '../connectors/outbound-policy.js';
import { createMailferry } from '../core/app/create-mailferry.js';
import type { Mailferry } from '../core/app/mailferry.js';
import type { EngineDeps } from '../core/engine/job-context.js';
import { MailferryError, ValidationError } from '../core/errors.js';
import { parseTenantOwners } from '../core/services/tenant-owners.js';
import type { TeamsTabLink } from '../core/notifications/tab-deep-link.js';
import { systemClock, type JobQueue, type SecretVault, type Store } from '../core/ports.js';
import type { Authenticator } from '../http/auth/authenticator.js';
import { EntraAuthenticator } from '../http/auth/entra-authenticator.js';
import { startBufferCollector } from '../adapters/buffer-collector.js';

export interface AzureHost {
  /** The application (named `services` since before it moved into core). */
  services: Mailferry;
  authenticator: Authenticator;
  /** What timer and (next) queue triggers run the engine with. */
  engine: EngineDeps;
  queue: JobQueue;
}

/** Must equal the queue's LockDuration in infra/main.bicep (jobLockDuration, PT5M). */
export const JOB_LOCK_MS = 5 * 60 * 1000;
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const DEFAULT_COSMOS_DATABASE = 'mailferry';
/** appPackage/manifest.json staticTabs[].entityId of the admin console. */
const ADMIN_CONSOLE_TAB = 'admin-console';

let host: Promise<AzureHost> | undefined;

/**
 * What a test may put in place of Azure's managed identity and Microsoft Graph, so that the same
 * wiring runs on loopback (the host-parity test). Production passes none.
 */
export interface AzureStandIns {
  credential?: TokenCredential;
  graphBaseUrl?: string;
}

/** Whether this worker process runs the buffer collector (started with the first host, never stopped). */
let collectingBuffers = false;

/** Built on first use and shared by every invocation of this worker (clients are expensive). */
export function azureHost(env: NodeJS.ProcessEnv = process.env): Promise<AzureHost> {
  // Once per worker process, for as long as it lives (the timer does not keep it alive).
  if (!collectingBuffers) {
    startBufferCollector();
    collectingBuffers = true;
  }
  host ??= buildAzureHost(env).catch((error) => {
    host = undefined; // let the next invocation retry after a configuration fix
    throw error;
  });
  return host;
}

/** Builds a host without caching it; azureHost() is what the triggers use. */
export async function buildAzureHost(env: NodeJS.ProcessEnv, standIns: AzureStandIns = {}): Promise<AzureHost> {
  const audiences = list(env.MAILFERRY_ENTRA_AUDIENCES);
  if (!audiences.length) {
    throw new ValidationError(
      'Set MAILFERRY_ENTRA_AUDIENCES to the API app registration (client id and/or api:// URI): every request must carry an Entra ID token for it.',
      { field: 'MAILFERRY_ENTRA_AUDIENCES' },
    );
  }
  const allowedTenants = list(env.MAILFERRY_ALLOWED_TENANTS);
  if (!allowedTenants.length) {
    throw new MailferryError(
      'unsupported',
      'This Mailferry deployment serves no tenant yet: set MAILFERRY_ALLOWED_TENANTS to the directory (tenant) ids it serves, comma-separated (infra/main.bicep parameter allowedTenants).',
      { field: 'MAILFERRY_ALLOWED_TENANTS' },
    );
  }
  const authenticator = new EntraAuthenticator({
    audiences,
    allowedTenants,
    appRoles: list(env.MAILFERRY_ENTRA_APP_ROLES),
    jwksUri: env.MAILFERRY_ENTRA_JWKS_URI,
  });
  const tenantOwners = parseTenantOwners(env.MAILFERRY_TENANT_OWNERS);
  const stray = [...tenantOwners.keys()].filter((t) => !allowedTenants.includes(t));
  if (stray.length)
    throw new MailferryError(
      'unsupported',
      `MAILFERRY_TENANT_OWNERS names tenant ${stray.join(', ')}, which MAILFERRY_ALLOWED_TENANTS does not list: add it there or remove its owners.`,
      { field: 'MAILFERRY_TENANT_OWNERS' },
    );
  // Managed identity in Azure; made only when a setting needs it, so a local trial needs no login.
  let credential: TokenCredential | undefined = standIns.credential;
  const identity = () => (credential ??= new DefaultAzureCredential());
  let sqlite: SqliteDb | undefined;
  const dataDir = env.MAILFERRY_DATA ?? join(env.HOME ?? '/tmp', 'mailferry');
  const sqliteDb = () => (sqlite ??= openSqliteDatabase(join(dataDir, 'mailferry.db')));

  const store: Store =
    env.MAILFERRY_STORE === 'cosmos'
      ? await CosmosStore.open({
          endpoint: required(env, 'MAILFERRY_COSMOS_ENDPOINT'),
          databaseId: env.MAILFERRY_COSMOS_DATABASE ?? DEFAULT_COSMOS_DATABASE,
          clientOptions: { aadCredentials: identity() },
        })
      : new SqliteStore(sqliteDb(), true);
  const queue: JobQueue =
    env.MAILFERRY_QUEUE === 'servicebus'
      ? new ServiceBusJobQueue({
          fullyQualifiedNamespace: required(env, 'MAILFERRY_SERVICEBUS_NAMESPACE'),
          credential: identity(),
          queueName: required(env, 'MAILFERRY_SERVICEBUS_QUEUE'),
          lockDurationMs: JOB_LOCK_MS,
          groupLimiter: new StoreGroupLimiter(store.groupSlots), // limits hold across instances
        })
      : new SqliteJobQueue(sqliteDb());
  const secrets = env.MAILFERRY_KEYVAULT_URL ? new SecretClient(env.MAILFERRY_KEYVAULT_URL, identity()) : undefined;
  const vault: SecretVault = secrets ? new KeyVaultSecretVault(secrets) : await FileSecretVault.open(dataDir);
  const linkKey = secrets ? await loadOrCreateLinkKeySecret(secrets) : await loadOrCreateLinkKey(dataDir);
  const sender = env.MAILFERRY_MAIL_SENDER;
  const mailer = sender ? new GraphMailer({ sender, getToken: () => graphToken(identity()), baseUrl: standIns.graphBaseUrl }) : undefined;

  // A shared deployment reaches public mail servers only, EWS over HTTPS (outbound-policy.ts).
  const connectorFor = createConnectorRegistry({}, outboundPolicyFromEnv(env));
  const services = createMailferry(
    {
      store,
      queue,
      vault,
      clock: systemClock,
      log: jsonLineLog,
      connectorFor,
      mailer,
      notifier: (webhookUrlFor) => new TeamsWorkflowNotifier(webhookUrlFor, { tabLink: tabLinkFrom(env) }),
    },
    {
      endUser: env.MAILFERRY_PUBLIC_URL ? { linkKey, publicBaseUrl: env.MAILFERRY_PUBLIC_URL } : undefined,
      tenantOwners,
    },
  );
  const engine = services.engine;
  return { services, authenticator, engine, queue };
}

/** The card's "Open in Mailferry" button deep-links into the admin console tab (manifest staticTabs entityId). */
function tabLinkFrom(env: NodeJS.ProcessEnv): TeamsTabLink | undefined {
  const teamsAppId = env.MAILFERRY_TEAMS_APP_ID;
  return teamsAppId ? { teamsAppId, tabEntityId: ADMIN_CONSOLE_TAB } : undefined;
}

async function graphToken(credential: TokenCredential): Promise<string> {
  const token = await credential.getToken(GRAPH_SCOPE);
  if (!token)
    throw new ValidationError('The managed identity got no token for Microsoft Graph: grant it Mail.Send.', {
      field: 'MAILFERRY_MAIL_SENDER',
    });
  return token.token;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ValidationError(`Set the app setting ${name} (infra/main.bicep declares it).`, { field: name });
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
