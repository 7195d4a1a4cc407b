/**
 * The one composition root of the application. Each host (the embedded host and its CLI in
 * api/local, the Azure Functions app in api/functions) chooses its adapters, then calls
 * createMailferry; what the application does with them (which listeners run when a pass ends,
 * when end-user links go out) is decided here and only here.
 */
import { randomUUID } from 'node:crypto';
import type { MailConnector } from '../connector.js';
import { LinkKeyring } from '../end-user/credential-link.js';
import { EndUserService } from '../end-user/end-user-service.js';
import type { EngineLog } from '../engine/job-context.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../engine/retry.js';
import type { EndpointKind } from '../model.js';
import type { Clock, JobQueue, Mailer, SecretVault, Store } from '../ports.js';
import type { TenantOwners } from '../services/context.js';
import { Mailferry, type NotifierFor } from './mailferry.js';

/** The adapters a host chose. */
export interface MailferryPorts {
  store: Store;
  queue: JobQueue;
  vault: SecretVault;
  clock: Clock;
  log: EngineLog;
  connectorFor(kind: EndpointKind): MailConnector;
  /** End-user and report mail; without it those features answer "not configured". */
  mailer?: Mailer;
  /** Pass-ended cards (a Teams Workflows webhook per project in both hosts). */
  notifier: NotifierFor;
  /** Default: random UUIDs. */
  newId?(): string;
}

export interface EndUserSettings {
  /** The key that signs end-user credential links (kept in the host's key file or Key Vault). */
  linkKey: Buffer;
  /** Where end users open their links, e.g. `https://mailferry.contoso.com`. */
  publicBaseUrl: string;
  organizationName?: string;
}

export interface MailferrySettings {
  /** Without it (or without a mailer) items still wait for their end users, but no link goes out. */
  endUser?: EndUserSettings;
  /** Who founds each tenant's Default workgroup (the Azure app's MAILFERRY_TENANT_OWNERS). */
  tenantOwners?: TenantOwners;
  retry?: RetryPolicy;
  /** Progress writes and stop checks at most this often. */
  checkpointMs?: number;
}

const DEFAULT_CHECKPOINT_MS = 1_000;

export function createMailferry(ports: MailferryPorts, settings: MailferrySettings = {}): Mailferry {
  const { store, queue, vault, clock, log, connectorFor, mailer } = ports;
  const deps = { store, queue, vault, clock, connectorFor, newId: ports.newId ?? randomUUID, tenantOwners: settings.tenantOwners };
  const endUser =
    mailer && settings.endUser
      ? new EndUserService(deps, {
          mailer,
          keyring: new LinkKeyring(settings.endUser.linkKey),
          connectorFor,
          publicBaseUrl: settings.endUser.publicBaseUrl,
          organizationName: settings.endUser.organizationName,
        })
      : undefined;
  return new Mailferry({
    ports,
    deps,
    endUser,
    mailer,
    notifier: ports.notifier,
    engine: {
      store,
      vault,
      clock,
      log,
      connectorFor,
      retry: settings.retry ?? DEFAULT_RETRY_POLICY,
      checkpointMs: settings.checkpointMs ?? DEFAULT_CHECKPOINT_MS,
    },
  });
}
