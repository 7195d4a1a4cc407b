import type { MailConnector, MailboxAccess, MailboxSession } from '../connector.js';
import { AuthError, MailferryError, NotFoundError, ValidationError, ensureError } from '../errors.js';
import { endpointProtocol, type Endpoint, type Item, type Pass, type Project } from '../model.js';
import type { Clock, JobPayload, SecretVault, Store } from '../ports.js';
import { loadSignIn } from '../delegated-sign-in.js';
import type { ModernAuthOptions } from '../support-options.js';
import type { PassEndedListener } from './settle-passes.js';
import type { RetryPolicy } from './retry.js';

export interface EngineLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Side effects the engine needs, injected once by the composition root (Temporal's createActivities). */
export interface EngineDeps {
  store: Store;
  vault: SecretVault;
  connectorFor(kind: Endpoint['kind']): MailConnector;
  clock: Clock;
  retry: RetryPolicy;
  log: EngineLog;
  /** Progress writes and stop checks at most this often. */
  checkpointMs: number;
  /** Told when a pass ends (all its items done): Adaptive Cards, e-mail reports. */
  onPassEnded?: PassEndedListener;
}

export interface JobRecords {
  item: Item;
  pass: Pass;
  project: Project;
  source: Endpoint;
  destination: Endpoint;
}

export async function loadJobRecords(store: Store, job: JobPayload): Promise<JobRecords | undefined> {
  const [item, pass, project] = await Promise.all([
    store.items.get(job.tenantId, job.itemId),
    store.passes.get(job.tenantId, job.passId),
    store.projects.get(job.tenantId, job.projectId),
  ]);
  if (!item || !pass || !project) return undefined;
  const [source, destination] = await Promise.all([
    store.endpoints.get(job.tenantId, project.sourceEndpointId),
    store.endpoints.get(job.tenantId, project.destinationEndpointId),
  ]);
  if (!source || !destination) {
    throw new NotFoundError(
      `Project "${project.name}" lost its ${source ? 'destination' : 'source'} endpoint; edit the project and choose one.`,
    );
  }
  return { item, pass, project, source, destination };
}

export type Side = 'source' | 'destination';

/** Per-job extras from the resolved support options, the same for every lane. */
export interface SideOptions {
  tuning?: MailboxAccess['tuning'];
  modernAuth?: ModernAuthOptions;
  recipientMappings?: MailboxAccess['recipientMappings'];
  ewsStreamToGraph?: MailboxAccess['ewsStreamToGraph'];
}

async function accessFor(deps: EngineDeps, records: JobRecords, side: Side, options: SideOptions): Promise<MailboxAccess> {
  const { item } = records;
  const endpoint = side === 'source' ? records.source : records.destination;
  const login = side === 'source' ? item.sourceLogin : item.destinationLogin;
  const secretRef = side === 'source' ? item.sourceSecretRef : item.destinationSecretRef;
  const boundTo = side === 'source' ? item.sourceSecretEndpointId : item.destinationSecretEndpointId;
  if (secretRef && boundTo && boundTo !== endpoint.id) {
    // The password was typed for another server: never send it to this one.
    throw new AuthError(
      `The ${side} password stored for ${side === 'source' ? item.sourceAddress : item.destinationAddress} was entered for another ${side} endpoint than "${endpoint.name}", so it is not used there. Enter the password again for this endpoint (Edit item), or clear it.`,
      { field: `${side}Password` },
    );
  }
  const tenantId = item.tenantId;
  return {
    endpoint,
    mailbox: side === 'source' ? item.sourceAddress : item.destinationAddress,
    login,
    password: secretRef ? await deps.vault.get(tenantId, secretRef) : undefined,
    adminPassword: endpoint.adminSecretRef ? await deps.vault.get(tenantId, endpoint.adminSecretRef) : undefined,
    tuning: options.tuning,
    modernAuth: await modernAuthFor(deps, endpoint, side, options.modernAuth),
    recipientMappings: options.recipientMappings,
    ...(side === 'destination' && options.ewsStreamToGraph ? { ewsStreamToGraph: options.ewsStreamToGraph } : {}),
    delegatedSignIn: await loadSignIn(deps, endpoint),
  };
}

/**
 * Modern Auth for one side: the project's `ModernAuth…Export` (source) or `…Import` (destination)
 * options win over the endpoint's app registration, field by field.
 */
async function modernAuthFor(
  deps: EngineDeps,
  endpoint: Endpoint,
  side: Side,
  options: ModernAuthOptions = {},
): Promise<MailboxAccess['modernAuth']> {
  // Groups over Graph post as a signed-in administrator (delegatedSignIn), never as an app.
  if (endpoint.kind === 'm365-group' && endpointProtocol(endpoint) === 'graph') return undefined;
  const fromOptions =
    side === 'source'
      ? { clientId: options.clientIdExport, tenantId: options.tenantIdExport, clientSecret: options.clientSecretExport }
      : { clientId: options.clientIdImport, tenantId: options.tenantIdImport, clientSecret: options.clientSecretImport };
  const clientId = fromOptions.clientId ?? endpoint.appClientId;
  const tenantId = fromOptions.tenantId ?? endpoint.appTenantId;
  // A secret in the options wins over the endpoint's credential; else the endpoint's certificate, else its secret.
  const read = (ref?: string) => (ref ? deps.vault.get(endpoint.tenantId, ref) : undefined);
  const certificate =
    !fromOptions.clientSecret && endpoint.appCertificate && endpoint.appCertificateKeyRef
      ? { ...endpoint.appCertificate, privateKey: (await read(endpoint.appCertificateKeyRef))! }
      : undefined;
  const clientSecret = fromOptions.clientSecret ?? (certificate ? undefined : await read(endpoint.appSecretRef));
  if (!clientId && !tenantId && !clientSecret && !certificate) return undefined;
  if (!clientId || !tenantId || (!clientSecret && !certificate)) {
    const suffix = side === 'source' ? 'Export' : 'Import';
    throw new ValidationError(
      `Modern Auth for the ${side} needs a client id, a tenant id and a client secret or certificate: set them on the endpoint or as ModernAuthClientId${suffix}, ModernAuthTenantId${suffix} and ModernAuthClientSecret${suffix}.`,
    );
  }
  return certificate ? { clientId, tenantId, certificate } : { clientId, tenantId, clientSecret };
}

/** Opens one side; the error says which side failed, so the admin knows which credentials to fix. */
export async function openSide(
  deps: EngineDeps,
  records: JobRecords,
  side: Side,
  signal?: AbortSignal,
  options: SideOptions = {},
): Promise<MailboxSession> {
  const access = await accessFor(deps, records, side, options);
  try {
    return await deps.connectorFor(access.endpoint.kind).open(access, signal);
  } catch (raw) {
    const error = ensureError(raw);
    const label = side === 'source' ? 'Source' : 'Destination';
    // A per-item login is what the server refused: name it (the CLI's logins have no address of their own).
    const who = access.login && access.login.toLowerCase() !== access.mailbox.toLowerCase() ? `login ${access.login}` : access.mailbox;
    const message = `${label} (${who}): ${error.message}`;
    if (error instanceof AuthError)
      throw new AuthError(message, { cause: error, field: side === 'source' ? 'sourceLogin' : 'destinationLogin' });
    throw new MailferryError(error.code, message, { retryable: error.retryable, retryAfterMs: error.retryAfterMs, cause: error });
  }
}

export async function closeQuietly(session: MailboxSession | undefined): Promise<void> {
  try {
    await session?.close();
  } catch {
    // The session is being discarded; a failing LOGOUT changes nothing.
  }
}
