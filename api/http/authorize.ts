import type { ProjectAccess } from '../core/model.js';
import type { AccessService, Principal, TenantAction } from '../core/services/access-service.js';

/** Declared on every route: who may call it. The router checks it before the handler runs. */
export type AccessRule =
  | { public: true }
  | { tenant: TenantAction }
  /** Workgroup routes: the workgroup must exist in the caller's tenant and the caller be a member (or its Owner). */
  | { workgroup: 'member' | 'owner' }
  /** Endpoint routes: the endpoint's workgroup must be the caller's (view: any active role; manage: Manager or Owner). */
  | { endpoint: 'view' | 'manage' }
  | { project: ProjectAccess; from: 'projectId' | 'itemId' | 'passId' };

export async function authorize(
  rule: AccessRule,
  principal: Principal,
  params: Record<string, string>,
  access: AccessService,
): Promise<void> {
  if ('public' in rule) return;
  if ('tenant' in rule) return access.requireTenant(principal, rule.tenant);
  if ('workgroup' in rule) return access.requireWorkgroup(principal, params.workgroupId!, rule.workgroup);
  if ('endpoint' in rule) return void (await access.requireEndpoint(principal, params.endpointId!, rule.endpoint));
  const id = params[rule.from]!;
  const projectId =
    rule.from === 'projectId'
      ? id
      : rule.from === 'itemId'
        ? await access.projectOfItem(principal, id)
        : await access.projectOfPass(principal, id);
  await access.requireProject(principal, projectId, rule.project);
}
