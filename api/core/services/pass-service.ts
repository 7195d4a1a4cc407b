import { parseCutoff, parseDate } from '../dates.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  ACTIVE_STATUSES,
  withEndedRun,
  type Endpoint,
  type Item,
  type ItemStatus,
  type Pass,
  type PassOptions,
  type Project,
} from '../model.js';
import type { Page } from '../ports.js';
import type { PassInput } from '../schemas.js';
import type { ServiceDeps } from './context.js';
import { ItemService } from './item-service.js';
import { updateDoc } from '../update-doc.js';

export interface StartPassResult {
  pass: Pass;
  /** Items the pass will run. */
  accepted: string[];
  /** Items the pass skipped, each with the reason an admin can act on. */
  refused: { itemId: string; sourceAddress: string; reason: string }[];
}

/** Attempts the queue makes for one job before dead-lettering it (beyond inline reconnects). */
const JOB_MAX_ATTEMPTS = 5;

export class PassService {
  private readonly itemService: ItemService;

  constructor(private readonly deps: ServiceDeps) {
    this.itemService = new ItemService(deps);
  }

  async startPass(tenantId: string, projectId: string, input: PassInput): Promise<StartPassResult> {
    const { store, clock } = this.deps;
    const project = await store.projects.get(tenantId, projectId);
    if (!project) throw new NotFoundError(`No project with id ${projectId}.`, { field: 'projectId' });
    const now = clock.now();
    const options = passOptions(input, now);
    const startAt = input.startAt ? parseDate(input.startAt, 'startAt') : undefined;
    const items = await this.itemService.selectItems(tenantId, projectId, input.itemIds);
    if (!items.length) throw new ValidationError('The project has no items: add items before starting a pass.', { field: 'itemIds' });

    const refused: StartPassResult['refused'] = [];
    const accepted: Item[] = [];
    for (const item of items) {
      const reason = await this.refusal(item, input.kind);
      if (reason) refused.push({ itemId: item.id, sourceAddress: item.sourceAddress, reason });
      else accepted.push(item);
    }
    if (!accepted.length) {
      throw new ValidationError(
        `No selected item can run a ${input.kind} pass: ${refused.map((r) => `${r.sourceAddress}: ${r.reason}`).join('; ')}`,
        { field: 'itemIds' },
      );
    }

    const pass = await store.passes.insert({
      tenantId,
      id: this.deps.newId(),
      projectId,
      kind: input.kind,
      itemIds: accepted.map((i) => i.id),
      options,
      startAt: startAt?.toISOString(),
      status: 'running',
      createdAt: now.toISOString(),
    });
    const delayed = startAt !== undefined && startAt > now;
    const sourceAdmin = hasAdminAccess(await store.endpoints.get(tenantId, project.sourceEndpointId));
    for (const item of accepted) {
      // Without the source password and without an admin who can open the mailbox, only the end user can let the copy in.
      const waitsForUser = !item.sourceSecretRef && (item.endUserCredentials || !sourceAdmin);
      const status: ItemStatus = waitsForUser ? 'Waiting For End User' : delayed ? 'Submitted' : 'Queued';
      await updateDoc(store.items, tenantId, item.id, (current) => ({
        ...current,
        status,
        progress: undefined,
        lastRun: { passId: pass.id, kind: pass.kind, status, copied: 0, skipped: 0, failed: 0, bytes: 0 },
      }));
      if (!waitsForUser) await this.enqueue(project, pass, item.id, startAt);
    }
    return { pass, accepted: accepted.map((i) => i.id), refused };
  }

  /** Queues one item of a pass: also used when an end user confirms credentials. */
  async enqueue(project: Project, pass: Pass, itemId: string, runAt?: Date): Promise<void> {
    await this.deps.queue.enqueue(
      { tenantId: pass.tenantId, projectId: project.id, itemId, passId: pass.id },
      {
        jobId: `${pass.id}:${itemId}`,
        runAt,
        group: project.id,
        groupLimit: project.maxConcurrentMigrations,
        maxAttempts: JOB_MAX_ATTEMPTS,
      },
    );
  }

  /**
   * Stops a pass: queued items become Stopped at once; running ones stop at their next
   * checkpoint (within seconds) and keep what they copied.
   */
  async stopPass(tenantId: string, passId: string): Promise<Pass> {
    const { store, queue, clock } = this.deps;
    const pass = await this.getPass(tenantId, passId);
    if (pass.status === 'completed' || pass.status === 'stopped') return pass;
    const stopping = await updateDoc(store.passes, tenantId, passId, (p) =>
      p.status === 'running' || p.status === 'scheduled' ? { ...p, status: 'stopping' as const } : undefined,
    );
    const cancelled = await queue.cancel({ tenantId, passId });
    const notRunning = new Set(cancelled.map((job) => job.itemId));
    for (const itemId of pass.itemIds) {
      const item = await store.items.get(tenantId, itemId);
      if (!item || item.lastRun?.passId !== passId) continue;
      if (notRunning.has(itemId) || item.status === 'Waiting For End User' || item.status === 'Submitted') {
        await updateDoc(store.items, tenantId, itemId, (current) =>
          current.lastRun?.passId === passId && current.status !== 'Running'
            ? withEndedRun(current, {
                ...current.lastRun,
                status: 'Stopped' as const,
                reason: 'Stopped by an administrator before it ran.',
                finishedAt: clock.now().toISOString(),
              })
            : undefined,
        );
      }
    }
    return stopping;
  }

  async getPass(tenantId: string, passId: string): Promise<Pass> {
    const pass = await this.deps.store.passes.get(tenantId, passId);
    if (!pass) throw new NotFoundError(`No pass with id ${passId}.`, { field: 'passId' });
    return pass;
  }

  async listPasses(tenantId: string, projectId: string, cursor?: string, limit?: number): Promise<Page<Pass>> {
    return this.deps.store.passes.list(tenantId, { where: { projectId }, cursor, limit });
  }

  private async refusal(item: Item, kind: Pass['kind']): Promise<string | undefined> {
    if (ACTIVE_STATUSES.has(item.status)) return `already "${item.status}" in another pass; wait for it or stop it`;
    if (kind !== 'retry-errors') return undefined;
    const errors = await this.deps.store.errors.count(item.tenantId, item.id);
    if (item.status !== 'Completed With Errors' || errors === 0) {
      return `Retry Errors needs the item's last pass to have completed with at least one error (it is "${item.status}" with ${errors} errors); run a Full pass instead`;
    }
    return undefined;
  }
}

/** An admin login (or an app registration) that opens every mailbox of the endpoint. */
function hasAdminAccess(endpoint: Endpoint | undefined): boolean {
  return !!endpoint && (endpoint.authMechanism === 'oauth-app' || (endpoint.adminMode !== 'none' && !!endpoint.adminSecretRef));
}

function passOptions(input: PassInput, now: Date): PassOptions {
  if (input.kind === 'prestage' && !input.cutoff) {
    throw new ValidationError('A pre-stage pass needs a cutoff, e.g. "90 days ago" or a date: items older than it are copied.', {
      field: 'cutoff',
    });
  }
  if (input.kind !== 'prestage' && input.cutoff) {
    throw new ValidationError(`A cutoff applies to pre-stage passes only; for a ${input.kind} pass use dateFrom/dateTo.`, {
      field: 'cutoff',
    });
  }
  const options: PassOptions = { itemTypes: input.itemTypes };
  if (input.cutoff) options.cutoff = parseCutoff(input.cutoff, now).toISOString();
  if (input.dateFrom) options.dateFrom = parseDate(input.dateFrom, 'dateFrom').toISOString();
  if (input.dateTo) options.dateTo = parseDate(input.dateTo, 'dateTo').toISOString();
  if (options.dateFrom && options.dateTo && options.dateFrom >= options.dateTo) {
    throw new ValidationError('dateFrom must be before dateTo.', { field: 'dateFrom' });
  }
  return options;
}
