import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Endpoint, Project, ProjectAccess, Workgroup, WorkgroupRole } from '../model.js';
import type { ServiceDeps } from './context.js';
import { DEFAULT_WORKGROUP, defaultWorkgroupId, workgroupOf } from './endpoint-workgroup.js';
import { listAll } from '../list-all.js';

/** Who is calling: established by the host's sign-in step, never by the request body. */
export interface Principal {
  tenantId: string;
  /** Entra ID object id (`oid`), or `local-admin` on the embedded host. */
  userId: string;
  name?: string;
  /** The embedded host's single local admin may do everything within its one tenant. */
  kind: 'user' | 'local-admin';
}

export type TenantAction = 'view' | 'manage';

const ACCESS_ORDER: readonly ProjectAccess[] = ['view', 'run', 'edit', 'delete'];
/** The strongest project action each role grants inside its own workgroup. */
const ROLE_ACCESS: Record<WorkgroupRole, ProjectAccess | undefined> = {
  Owner: 'delete',
  Manager: 'edit',
  Agent: 'run',
  Inactive: undefined,
};

const allows = (granted: ProjectAccess | undefined, wanted: ProjectAccess) =>
  granted !== undefined && ACCESS_ORDER.indexOf(granted) >= ACCESS_ORDER.indexOf(wanted);

/**
 * Roles and sharing: who may see, run, edit and delete. Every lookup is scoped to the caller's
 * tenant, so an id from another tenant is simply not found (404), never forbidden (403).
 */
export class AccessService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The caller's workgroups. A tenant without any is founded by one of the Owners the deployment
   * names for it (MAILFERRY_TENANT_OWNERS): its "Default" workgroup gets all of them as Owners.
   * Anyone else who comes first finds nothing, so a stranger cannot make themselves Owner.
   */
  async workgroupsOf(principal: Principal): Promise<Workgroup[]> {
    const all = await listAll((cursor) => this.deps.store.workgroups.list(principal.tenantId, { cursor }));
    if (principal.kind === 'local-admin') return all;
    if (!all.length) {
      const owners = this.deps.tenantOwners?.get(principal.tenantId) ?? [];
      if (!owners.includes(principal.userId)) return [];
      const founded = await this.deps.store.workgroups.insert({
        tenantId: principal.tenantId,
        id: this.deps.newId(),
        name: DEFAULT_WORKGROUP,
        createdAt: this.deps.clock.now().toISOString(),
        members: owners.map((userId) => ({
          userId,
          ...(userId === principal.userId && principal.name ? { name: principal.name } : {}),
          role: 'Owner' as const,
        })),
      });
      return [founded];
    }
    return all.filter((w) => w.members.some((m) => m.userId === principal.userId));
  }

  async roleIn(principal: Principal, workgroupId: string | undefined): Promise<WorkgroupRole | undefined> {
    if (principal.kind === 'local-admin') return 'Owner';
    const workgroup = workgroupId ? await this.deps.store.workgroups.get(principal.tenantId, workgroupId) : undefined;
    return workgroup?.members.find((m) => m.userId === principal.userId)?.role;
  }

  /** 404 unless the workgroup is in the caller's tenant and the caller belongs to it; 403 when Owner is needed. */
  async requireWorkgroup(principal: Principal, workgroupId: string, needed: 'member' | 'owner'): Promise<void> {
    const role = await this.roleIn(principal, workgroupId);
    const exists = await this.deps.store.workgroups.get(principal.tenantId, workgroupId);
    if (!exists || !role) throw new NotFoundError(`No workgroup with id ${workgroupId}.`, { field: 'workgroupId' });
    if (needed === 'owner' && role !== 'Owner') throw new ForbiddenError('Only an Owner of the workgroup can change its members.');
  }

  /** The endpoint if the caller's role in its workgroup allows `action`; 404 when they are not in that workgroup. */
  async requireEndpoint(principal: Principal, endpointId: string, action: 'view' | 'manage'): Promise<Endpoint> {
    const endpoint = await this.deps.store.endpoints.get(principal.tenantId, endpointId);
    const role = endpoint && (await this.roleIn(principal, await workgroupOf(this.deps.store, endpoint)));
    if (!endpoint || !role || role === 'Inactive') throw new NotFoundError(`No endpoint with id ${endpointId}.`, { field: 'endpointId' });
    if (action === 'manage' && role !== 'Owner' && role !== 'Manager') {
      throw new ForbiddenError(`Changing or checking endpoint "${endpoint.name}" needs the Manager or Owner role in its workgroup.`);
    }
    return endpoint;
  }

  /** Endpoints of the workgroups where the caller has an active role. */
  async visibleEndpoints<T extends Endpoint | Omit<Endpoint, 'adminSecretRef' | 'appSecretRef' | 'appCertificateKeyRef'>>(
    principal: Principal,
    endpoints: T[],
  ): Promise<T[]> {
    if (principal.kind === 'local-admin') return endpoints;
    const active = new Set(
      (await this.workgroupsOf(principal))
        .filter((w) => w.members.some((m) => m.userId === principal.userId && m.role !== 'Inactive'))
        .map((w) => w.id),
    );
    const fallback = await defaultWorkgroupId(this.deps.store, principal.tenantId);
    return endpoints.filter((e) => active.has(e.workgroupId ?? fallback ?? ''));
  }

  async projectAccess(principal: Principal, project: Project): Promise<ProjectAccess | undefined> {
    if (principal.kind === 'local-admin') return 'delete';
    const role = await this.roleIn(principal, project.workgroupId);
    if (role === 'Inactive') return undefined;
    const byRole = role ? ROLE_ACCESS[role] : undefined;
    const byShare = project.sharedWith?.find((s) => s.userId === principal.userId)?.access;
    return [byRole, byShare].filter((a): a is ProjectAccess => !!a).sort((a, b) => ACCESS_ORDER.indexOf(b) - ACCESS_ORDER.indexOf(a))[0];
  }

  /** The project if the caller may do `action` on it; 404 when they may not even see it. */
  async requireProject(principal: Principal, projectId: string, action: ProjectAccess): Promise<Project> {
    const project = await this.deps.store.projects.get(principal.tenantId, projectId);
    const granted = project ? await this.projectAccess(principal, project) : undefined;
    if (!project || !granted) throw new NotFoundError(`No project with id ${projectId}.`, { field: 'projectId' });
    if (!allows(granted, action)) {
      throw new ForbiddenError(
        `Your access to project "${project.name}" is "${granted}"; to ${action} it you need a role that allows ${action} (ask an Owner of its workgroup).`,
      );
    }
    return project;
  }

  async projectOfItem(principal: Principal, itemId: string): Promise<string> {
    const item = await this.deps.store.items.get(principal.tenantId, itemId);
    if (!item) throw new NotFoundError(`No item with id ${itemId}.`, { field: 'itemId' });
    return item.projectId;
  }

  async projectOfPass(principal: Principal, passId: string): Promise<string> {
    const pass = await this.deps.store.passes.get(principal.tenantId, passId);
    if (!pass) throw new NotFoundError(`No pass with id ${passId}.`, { field: 'passId' });
    return pass.projectId;
  }

  /** Tenant-wide resources (endpoints, new projects): any active member sees them; Manager or Owner manages. */
  async requireTenant(principal: Principal, action: TenantAction): Promise<void> {
    if (principal.kind === 'local-admin') return;
    const roles = (await this.workgroupsOf(principal)).map((w) => w.members.find((m) => m.userId === principal.userId)!.role);
    const ok = action === 'view' ? roles.some((r) => r !== 'Inactive') : roles.some((r) => r === 'Owner' || r === 'Manager');
    if (!ok && !roles.length && !(await this.deps.store.workgroups.list(principal.tenantId, { limit: 1 })).items.length) {
      throw new ForbiddenError(
        'Mailferry is not set up for this tenant yet: its first Owners are named by the deployment (MAILFERRY_TENANT_OWNERS, "tenant-id:user-object-id"). Ask the operator to add yours, then sign in again.',
      );
    }
    if (!ok) {
      throw new ForbiddenError(
        action === 'view'
          ? 'You are not an active member of any Mailferry workgroup in this tenant; ask an Owner to add you.'
          : 'Creating or changing endpoints and projects needs the Manager or Owner role in a workgroup.',
      );
    }
  }

  /**
   * The workgroup a new project (or endpoint) goes to: the one asked for, which must exist and be
   * one the caller manages (404 when they are not in it, 403 when their role is too weak), or the
   * first one they manage.
   */
  async workgroupForNew(principal: Principal, requested?: string): Promise<string | undefined> {
    const mine = await this.workgroupsOf(principal);
    const managed = mine.filter((w) => this.manages(principal, w));
    if (requested) {
      if (!mine.some((w) => w.id === requested))
        throw new NotFoundError(`No workgroup with id ${requested} that you belong to.`, { field: 'workgroupId' });
      if (!managed.some((w) => w.id === requested))
        throw new ForbiddenError(
          `You cannot create projects or endpoints in workgroup ${requested}: you need the Manager or Owner role there.`,
          { field: 'workgroupId' },
        );
      return requested;
    }
    return managed[0]?.id;
  }

  private manages(principal: Principal, workgroup: Workgroup): boolean {
    const role = principal.kind === 'local-admin' ? 'Owner' : workgroup.members.find((m) => m.userId === principal.userId)?.role;
    return role === 'Owner' || role === 'Manager';
  }

  async visibleProjects(principal: Principal, projects: Project[]): Promise<Project[]> {
    const visible: Project[] = [];
    for (const project of projects) if (await this.projectAccess(principal, project)) visible.push(project);
    return visible;
  }
}
