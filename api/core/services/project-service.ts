import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { sealAppCertificate } from '../app-certificate.js';
import { ACTIVE_STATUSES, type Endpoint, type Project } from '../model.js';
import type { Page } from '../ports.js';
import type { EndpointInput, EndpointPatch, ProjectInput, ProjectPatch } from '../schemas.js';
import { mergeMaskedUpdate, parseSupportOptions } from '../support-options.js';
import type { ServiceDeps } from './context.js';
import { editEndpoint, projectNames, projectsUsing } from './endpoint-edit.js';
import { workgroupOf } from './endpoint-workgroup.js';
import { listAll, projectItems } from '../list-all.js';
import { publicEndpoint, publicProject, type PublicEndpoint, type PublicProject } from './public-views.js';
import { deleteSecrets, droppedRefs, sealSecretOptions, secretRefsOf } from '../secret-options.js';
import { updateDoc } from '../update-doc.js';

const SIDES = [
  { name: 'source', endpoint: 'sourceEndpointId', secret: 'sourceSecretRef', bound: 'sourceSecretEndpointId' },
  { name: 'destination', endpoint: 'destinationEndpointId', secret: 'destinationSecretRef', bound: 'destinationSecretEndpointId' },
] as const;

export class ProjectService {
  constructor(private readonly deps: ServiceDeps) {}

  async createEndpoint(tenantId: string, input: EndpointInput): Promise<PublicEndpoint> {
    const { adminPassword, appClientSecret, appCertificate: pem, ...fields } = input;
    const adminSecretRef = adminPassword ? await this.deps.vault.put(tenantId, adminPassword) : undefined;
    const appSecretRef = appClientSecret ? await this.deps.vault.put(tenantId, appClientSecret) : undefined;
    const certificate = pem ? await sealAppCertificate(this.deps.vault, tenantId, pem) : {};
    // A new Exchange Online endpoint speaks Graph unless the admin chose EWS (model.ts: M365Protocol);
    // a Groups endpoint stays on EWS, the faithful path, unless the admin chose Graph's posts.
    const protocol =
      fields.kind === 'm365' ? (fields.protocol ?? 'graph') : fields.kind === 'm365-group' ? (fields.protocol ?? 'ews') : undefined;
    const endpoint = await this.deps.store.endpoints.insert({
      ...fields,
      ...(protocol ? { protocol } : {}),
      tenantId,
      id: this.deps.newId(),
      adminSecretRef,
      appSecretRef,
      ...certificate,
      createdAt: this.deps.clock.now().toISOString(),
    });
    return publicEndpoint(endpoint);
  }

  /**
   * Edit endpoint: the fields sent change, the rest (and every stored secret not retyped) stays;
   * the result is checked as a new endpoint would be. Switching an Exchange Online endpoint between
   * Graph and EWS is one such edit: the next job of every project using it speaks the new one.
   */
  async updateEndpoint(tenantId: string, id: string, patch: EndpointPatch): Promise<PublicEndpoint> {
    const current = await this.getEndpoint(tenantId, id);
    if (patch.protocol !== undefined && current.kind !== 'm365' && current.kind !== 'm365-group') {
      throw new ValidationError(
        `Endpoint "${current.name}" is ${current.kind}: only Microsoft 365 endpoints (m365, m365-group) choose between Graph and EWS.`,
        { field: 'protocol' },
      );
    }
    // A Groups endpoint switched to Graph is checked as a new one would be (an app to sign in with).
    if (patch.protocol === 'graph' && current.kind === 'm365') {
      const next = { ...current, ...patch };
      if (
        next.authMechanism !== 'oauth-app' ||
        !next.appClientId ||
        !next.appTenantId ||
        !(patch.appClientSecret || patch.appCertificate || current.appSecretRef || current.appCertificateKeyRef)
      ) {
        throw new ValidationError(
          `Endpoint "${current.name}" has no app registration (client id, tenant id and a secret or certificate): Microsoft Graph signs in as an app. Give the app's details, or keep EWS.`,
          { field: 'protocol' },
        );
      }
      if ((next.cloud ?? 'commercial') !== 'commercial') {
        throw new ValidationError(
          `Endpoint "${current.name}" is in the ${next.cloud} cloud: the Graph mailbox import/export API exists in the global cloud only.`,
          { field: 'protocol' },
        );
      }
    }
    return publicEndpoint(await editEndpoint(this.deps, current, patch));
  }

  async getEndpoint(tenantId: string, id: string): Promise<Endpoint> {
    const endpoint = await this.deps.store.endpoints.get(tenantId, id);
    if (!endpoint) throw new NotFoundError(`No endpoint with id ${id}.`, { field: 'endpointId' });
    return endpoint;
  }

  async listEndpoints(tenantId: string, search?: string, cursor?: string, limit?: number): Promise<Page<PublicEndpoint>> {
    const page = await this.deps.store.endpoints.list(tenantId, {
      search: search ? { text: search, fields: ['name', 'host'] } : undefined,
      cursor,
      limit,
    });
    return { ...page, items: page.items.map(publicEndpoint) };
  }

  /** Refused, naming them, while projects use the endpoint: a project cannot lose a side. */
  async deleteEndpoint(tenantId: string, id: string): Promise<void> {
    const endpoint = await this.getEndpoint(tenantId, id);
    const users = await projectsUsing(this.deps, tenantId, id);
    if (users.length) {
      throw new ConflictError(
        `Endpoint "${endpoint.name}" is used by ${users.length === 1 ? 'project' : `${users.length} projects:`} ${projectNames(users)}: point ${users.length === 1 ? 'that project' : 'those projects'} at another endpoint or delete ${users.length === 1 ? 'it' : 'them'} first.`,
        { retryable: false },
      );
    }
    if (!(await this.deps.store.endpoints.delete(tenantId, id))) throw new NotFoundError(`No endpoint with id ${id}.`);
    await deleteSecrets(this.deps.vault, tenantId, secretRefsOf.endpoint(endpoint));
  }

  async createProject(tenantId: string, input: ProjectInput): Promise<PublicProject> {
    await this.checkEndpoints(
      { tenantId, workgroupId: input.workgroupId },
      { sourceEndpointId: input.sourceEndpointId, destinationEndpointId: input.destinationEndpointId },
    );
    checkOptions(input.options);
    const { teamsWebhookUrl, ...fields } = input;
    const options = await sealSecretOptions(this.deps.vault, tenantId, input.options);
    const teamsWebhookRef = teamsWebhookUrl ? await this.deps.vault.put(tenantId, teamsWebhookUrl) : undefined;
    try {
      const project = await this.deps.store.projects.insert({
        ...fields,
        options: options.lines,
        teamsWebhookRef,
        tenantId,
        id: this.deps.newId(),
        createdAt: this.deps.clock.now().toISOString(),
      });
      return publicProject(project);
    } catch (error) {
      await deleteSecrets(this.deps.vault, tenantId, [...options.created, teamsWebhookRef]);
      throw error;
    }
  }

  /** The project's Teams Workflows webhook URL, decrypted for posting; never sent to a client. */
  async teamsWebhookUrl(project: Project): Promise<string | undefined> {
    return project.teamsWebhookRef ? this.deps.vault.get(project.tenantId, project.teamsWebhookRef) : undefined;
  }

  async getProject(tenantId: string, id: string): Promise<Project> {
    const project = await this.deps.store.projects.get(tenantId, id);
    if (!project) throw new NotFoundError(`No project with id ${id}.`, { field: 'projectId' });
    return project;
  }

  async listProjects(tenantId: string, search?: string, cursor?: string, limit?: number): Promise<Page<PublicProject>> {
    const page = await this.deps.store.projects.list(tenantId, {
      search: search ? { text: search, fields: ['name'] } : undefined,
      cursor,
      limit,
    });
    return { ...page, items: page.items.map(publicProject) };
  }

  async updateProject(tenantId: string, id: string, patch: ProjectPatch): Promise<PublicProject> {
    const current = await this.getProject(tenantId, id);
    await this.checkEndpoints(current, {
      ...(patch.sourceEndpointId !== undefined && patch.sourceEndpointId !== current.sourceEndpointId
        ? { sourceEndpointId: patch.sourceEndpointId }
        : {}),
      ...(patch.destinationEndpointId !== undefined && patch.destinationEndpointId !== current.destinationEndpointId
        ? { destinationEndpointId: patch.destinationEndpointId }
        : {}),
    });
    const merged = patch.options ? mergeMaskedUpdate(current.options, patch.options) : undefined;
    if (merged) checkOptions(merged);
    const { teamsWebhookUrl, clearItemPasswords, ...fields } = patch;
    await this.releaseItemPasswords(current, patch, clearItemPasswords === true);
    const options = merged && (await sealSecretOptions(this.deps.vault, tenantId, merged, current.options));
    // undefined keeps the stored URL, "" removes it, a URL replaces it.
    const webhookRef =
      teamsWebhookUrl === undefined
        ? current.teamsWebhookRef
        : teamsWebhookUrl
          ? await this.deps.vault.put(tenantId, teamsWebhookUrl)
          : undefined;
    let updated: Project;
    try {
      updated = await updateDoc(this.deps.store.projects, tenantId, id, (project) => ({
        ...project,
        ...fields,
        options: options?.lines ?? project.options,
        teamsWebhookRef: webhookRef,
      }));
    } catch (error) {
      await deleteSecrets(this.deps.vault, tenantId, droppedRefs([...(options?.created ?? []), webhookRef], secretRefsOf.project(current)));
      throw error;
    }
    // A replaced webhook URL or client secret leaves the vault with the line that held it.
    await deleteSecrets(this.deps.vault, tenantId, droppedRefs(secretRefsOf.project(current), secretRefsOf.project(updated)));
    return publicProject(updated);
  }

  /**
   * Per-item passwords belong to the endpoint they were typed for. Moving a side of the project to
   * another endpoint while items hold such passwords would send every one of them to the new
   * server (an editor's own, say, on the next verify): refused, unless the caller asks to clear them.
   */
  private async releaseItemPasswords(current: Project, patch: ProjectPatch, clear: boolean): Promise<void> {
    const sides = SIDES.filter((side) => patch[side.endpoint] !== undefined && patch[side.endpoint] !== current[side.endpoint]);
    if (!sides.length) return;
    const items = await projectItems(this.deps.store, current.tenantId, current.id);
    const holding = sides.map((side) => ({ side, items: items.filter((item) => item[side.secret]) })).filter((s) => s.items.length);
    if (!holding.length) return;
    if (!clear) {
      const counts = holding
        .map(
          (h) =>
            `${h.items.length} item${h.items.length === 1 ? '' : 's'} hold${h.items.length === 1 ? 's' : ''} a ${h.side.name} password`,
        )
        .join(' and ');
      throw new ConflictError(
        `${counts} entered for the current ${holding.map((h) => h.side.name).join(' and ')} endpoint; Mailferry never sends them to another server. ` +
          'Send the change again with "clearItemPasswords": true to clear those passwords (items whose users confirm their own get a new link on the next pass), or keep the endpoint.',
        { retryable: false, field: holding[0]!.side.endpoint },
      );
    }
    const cleared: string[] = [];
    for (const { side, items: holders } of holding) {
      for (const item of holders) {
        await updateDoc(this.deps.store.items, current.tenantId, item.id, (doc) => ({
          ...doc,
          [side.secret]: undefined,
          [side.bound]: undefined,
        }));
        cleared.push(item[side.secret]!);
      }
    }
    await deleteSecrets(this.deps.vault, current.tenantId, cleared);
  }

  /** Deletes the project with its items, passes, ledger, error log and sync cursors. Refused while items are active. */
  async deleteProject(tenantId: string, id: string): Promise<void> {
    const { store } = this.deps;
    const project = await this.getProject(tenantId, id);
    for (const status of ACTIVE_STATUSES) {
      if (await store.items.count(tenantId, { projectId: id, status })) {
        throw new ConflictError(`The project has items in "${status}": stop its passes first.`, { retryable: false });
      }
    }
    const items = await projectItems(store, tenantId, id);
    for (const item of items) {
      await store.ledger.deleteItem(tenantId, item.id);
      await store.errors.deleteItem(tenantId, item.id);
      await store.cursors.deleteItem(tenantId, item.id);
      await store.items.delete(tenantId, item.id);
    }
    const passes = await listAll((cursor) => store.passes.list(tenantId, { where: { projectId: id }, cursor }));
    for (const pass of passes) await store.passes.delete(tenantId, pass.id);
    await store.projects.delete(tenantId, id);
    // Records first, then their secrets, several at a time: a failed vault call leaves a secret
    // nobody references rather than a record pointing at nothing.
    await deleteSecrets(this.deps.vault, tenantId, [...items.flatMap(secretRefsOf.item), ...secretRefsOf.project(project)]);
  }

  /**
   * The endpoints a project is given must exist and belong to the project's own workgroup: a
   * Manager of one workgroup cannot borrow another workgroup's Exchange admin endpoint. Only the
   * sides being set are checked, so a project kept on an older endpoint can still be renamed.
   */
  private async checkEndpoints(
    project: Pick<Project, 'tenantId' | 'workgroupId'>,
    sides: Partial<Pick<Project, 'sourceEndpointId' | 'destinationEndpointId'>>,
  ): Promise<void> {
    const { store } = this.deps;
    const projectWorkgroup = await workgroupOf(store, project);
    for (const side of SIDES) {
      const id = sides[side.endpoint];
      if (id === undefined) continue;
      const endpoint = await store.endpoints.get(project.tenantId, id);
      if (!endpoint || (await workgroupOf(store, endpoint)) !== projectWorkgroup) {
        const where = endpoint ? " in this project's workgroup (a project uses only endpoints of its own workgroup)" : '';
        throw new ValidationError(`No ${side.name} endpoint with id ${id}${where}: create it first or pick an existing one.`, {
          field: side.endpoint,
        });
      }
    }
  }
}

export function checkOptions(lines: string[]): void {
  const { problems } = parseSupportOptions(lines, 'options');
  if (problems.length) throw new ValidationError(problems.map((p) => p.message).join('; '), { field: problems[0]!.field });
}
