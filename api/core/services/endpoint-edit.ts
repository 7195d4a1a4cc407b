/**
 * Edit endpoint: a patch merged into the stored endpoint, checked again as a whole by the same
 * schema as a new one, with the stored secrets kept unless a new one is typed.
 */
import { ConflictError, ValidationError } from '../errors.js';
import { endpointProtocol, type Endpoint, type Project } from '../model.js';
import type { EndpointPatch } from '../schemas.js';
import type { ServiceDeps } from './context.js';
import { listAll, projectItems } from '../list-all.js';
import { deleteSecrets, droppedRefs, secretRefsOf } from '../secret-options.js';
import { updateDoc } from '../update-doc.js';
import { sealAppCertificate } from '../app-certificate.js';

/** Stands in for a stored secret while the merged endpoint is checked; never stored, never sent. */
const STORED_SECRET = 'stored-secret';
/** The fields that say which server a password is sent to. */
const TARGET_FIELDS = ['host', 'port', 'security', 'cloud', 'protocol'] as const;

/** The projects that use an endpoint, on either side. */
export async function projectsUsing(deps: ServiceDeps, tenantId: string, endpointId: string): Promise<Project[]> {
  const projects = await listAll((cursor) => deps.store.projects.list(tenantId, { cursor }));
  return projects.filter((p) => p.sourceEndpointId === endpointId || p.destinationEndpointId === endpointId);
}

/** "Contoso", "Fabrikam" and 3 more: how a refusal names the projects in its way. */
export function projectNames(projects: Pick<Project, 'name'>[], max = 5): string {
  const named = projects
    .slice(0, max)
    .map((p) => `"${p.name}"`)
    .join(', ');
  return projects.length > max ? `${named} and ${projects.length - max} more` : named;
}

export async function editEndpoint(deps: ServiceDeps, current: Endpoint, patch: EndpointPatch): Promise<Endpoint> {
  const { adminPassword, appClientSecret, appCertificate, ...fields } = patch;
  if (fields.kind !== undefined && fields.kind !== current.kind) {
    throw new ValidationError(
      `An endpoint keeps its kind (this one is ${current.kind}): create a new endpoint for ${fields.kind} and point the project at it.`,
      { field: 'kind' },
    );
  }
  const merged = { ...current, ...fields, port: fields.port === null ? undefined : (fields.port ?? current.port) };
  const choosesProtocol = current.kind === 'm365' || current.kind === 'm365-group';
  if (choosesProtocol) merged.protocol = fields.protocol ?? (endpointProtocol(current) as Endpoint['protocol']);
  // Groups over Graph post as a signed-in administrator: the EWS admin password is not sent there (kept for a switch back).
  const groupsOverGraph = current.kind === 'm365-group' && merged.protocol === 'graph';
  // An app registration reaches mailboxes only by impersonation; a Graph endpoint saved without it switches to EWS as one.
  if (merged.authMechanism === 'oauth-app' && fields.adminMode === undefined) merged.adminMode = 'impersonation';
  const moved = TARGET_FIELDS.some((key) => (merged[key] ?? '') !== (current[key] ?? ''));
  if (moved) await refuseMoveWithItemPasswords(deps, current);
  if (moved && current.adminSecretRef && adminPassword === undefined && usesAdminPassword(merged) && !groupsOverGraph) {
    throw new ValidationError(
      `You changed where endpoint "${current.name}" connects: type the admin password again. The stored one is never sent to another server.`,
      { field: 'adminPassword' },
    );
  }
  // The whole endpoint, as a new one is checked: a stored secret counts as given. The schemas
  // (zod) load with the first edit, not with every process that only runs passes.
  const { endpointInput, parseInput } = await import('../schemas.js');
  const checked = parseInput(endpointInput, {
    ...merged,
    port: merged.port,
    workgroupId: undefined,
    adminPassword: adminPassword ?? (current.adminSecretRef ? STORED_SECRET : undefined),
    // A stored certificate stands in as a stored credential too (its PEM is not kept to check again).
    appClientSecret:
      appClientSecret ?? (!appCertificate && (current.appSecretRef || current.appCertificateKeyRef) ? STORED_SECRET : undefined),
    appCertificate,
  });
  const keepsAdmin = usesAdminPassword(checked);
  const keepsApp = checked.authMechanism === 'oauth-app';
  const adminSecretRef = !keepsAdmin
    ? undefined
    : adminPassword
      ? await deps.vault.put(current.tenantId, adminPassword)
      : current.adminSecretRef;
  // The app has one credential at a time: a new secret replaces a certificate and a new certificate a secret.
  const appSecretRef =
    !keepsApp || appCertificate
      ? undefined
      : appClientSecret
        ? await deps.vault.put(current.tenantId, appClientSecret)
        : current.appSecretRef;
  const certificate =
    !keepsApp || appClientSecret
      ? { appCertificate: undefined, appCertificateKeyRef: undefined }
      : appCertificate
        ? await sealAppCertificate(deps.vault, current.tenantId, appCertificate)
        : { appCertificate: current.appCertificate, appCertificateKeyRef: current.appCertificateKeyRef };
  // Never the PEM text: its private key lives in the vault only.
  const { adminPassword: _a, appClientSecret: _s, appCertificate: _c, workgroupId: _w, ...saved } = checked;
  // A Groups endpoint keeps the app its administrator signs in with (no secret: a public client).
  const keepsAppIds = keepsApp || current.kind === 'm365-group';
  // A sign-in made with another app or tenant gets no token for this one.
  const sameApp = saved.appClientId === current.appClientId && saved.appTenantId === current.appTenantId;
  const updated = await updateDoc(deps.store.endpoints, current.tenantId, current.id, (doc) => ({
    ...doc,
    ...saved,
    port: saved.port,
    protocol: choosesProtocol ? saved.protocol : undefined,
    adminLogin: keepsAdmin ? saved.adminLogin : undefined,
    adminSecretRef,
    appClientId: keepsAppIds ? saved.appClientId : undefined,
    appTenantId: keepsAppIds ? saved.appTenantId : undefined,
    appSecretRef,
    ...certificate,
    ...(sameApp ? {} : { signInRef: undefined, signedInAs: undefined, signedInAt: undefined }),
  }));
  // A replaced or no longer used secret leaves the vault.
  await deleteSecrets(deps.vault, current.tenantId, droppedRefs(secretRefsOf.endpoint(current), secretRefsOf.endpoint(updated)));
  return updated;
}

function usesAdminPassword(endpoint: Pick<Endpoint, 'adminMode' | 'authMechanism'>): boolean {
  return endpoint.adminMode !== 'none' && endpoint.authMechanism !== 'oauth-app';
}

/**
 * Per-item passwords belong to the server they were typed for (an end user's own among them):
 * an endpoint that now points elsewhere would send them there on the next pass.
 */
async function refuseMoveWithItemPasswords(deps: ServiceDeps, endpoint: Endpoint): Promise<void> {
  const holders: Project[] = [];
  let count = 0;
  for (const project of await projectsUsing(deps, endpoint.tenantId, endpoint.id)) {
    const items = await projectItems(deps.store, endpoint.tenantId, project.id);
    const holding = items.filter(
      (item) =>
        (item.sourceSecretRef && item.sourceSecretEndpointId === endpoint.id) ||
        (item.destinationSecretRef && item.destinationSecretEndpointId === endpoint.id),
    ).length;
    if (holding) holders.push(project);
    count += holding;
  }
  if (!count) return;
  throw new ConflictError(
    `${count} item${count === 1 ? '' : 's'} in ${projectNames(holders)} hold${count === 1 ? 's' : ''} a password typed for this server; Mailferry never sends it to another one. ` +
      'Keep the server and create a new endpoint for the other one, or clear those item passwords first (Edit item).',
    { retryable: false, field: 'host' },
  );
}
