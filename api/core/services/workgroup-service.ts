import { ValidationError } from '../errors.js';
import type { ProjectShare, Workgroup, WorkgroupMember } from '../model.js';
import type { AccessService, Principal } from './access-service.js';
import type { ServiceDeps } from './context.js';
import { updateDoc } from '../update-doc.js';

export class WorkgroupService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: AccessService,
  ) {}

  list(principal: Principal): Promise<Workgroup[]> {
    return this.access.workgroupsOf(principal);
  }

  async create(principal: Principal, name: string): Promise<Workgroup> {
    await this.access.requireTenant(principal, 'manage');
    return this.deps.store.workgroups.insert({
      tenantId: principal.tenantId,
      id: this.deps.newId(),
      name,
      createdAt: this.deps.clock.now().toISOString(),
      members: principal.kind === 'local-admin' ? [] : [{ userId: principal.userId, name: principal.name, role: 'Owner' }],
    });
  }

  /** Replaces the member list. Only an Owner may, and a workgroup always keeps at least one Owner. */
  async setMembers(principal: Principal, workgroupId: string, members: WorkgroupMember[]): Promise<Workgroup> {
    await this.access.requireWorkgroup(principal, workgroupId, 'owner');
    if (!members.some((m) => m.role === 'Owner')) throw new ValidationError('A workgroup needs at least one Owner.', { field: 'members' });
    const ids = new Set<string>();
    for (const m of members) {
      if (ids.has(m.userId)) throw new ValidationError(`${m.userId} is listed twice.`, { field: 'members' });
      ids.add(m.userId);
    }
    return updateDoc(this.deps.store.workgroups, principal.tenantId, workgroupId, (w) => ({ ...w, members }));
  }

  /** Project sharing: grants view, run or edit to named users beyond their workgroup role. */
  async share(principal: Principal, projectId: string, sharedWith: ProjectShare[]) {
    await this.access.requireProject(principal, projectId, 'edit');
    return updateDoc(this.deps.store.projects, principal.tenantId, projectId, (p) => ({ ...p, sharedWith }));
  }
}
