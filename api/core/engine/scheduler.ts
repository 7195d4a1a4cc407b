import { ensureError } from '../errors.js';
import type { Pass } from '../model.js';
import type { JobQueue } from '../ports.js';
import { listAll } from '../services/list-all.js';
import { settleProjectPasses } from '../services/settle-passes.js';
import { updateDoc } from '../services/update-doc.js';
import type { EngineDeps } from './job-context.js';

/**
 * Timer work in one place (the embedded host's loop; an Azure Functions timer trigger in Azure):
 * return expired leases to the queue, move "start at" items from Submitted to Queued when their
 * time comes, and end passes whose items are all done even if their last job died.
 */
export async function schedulerTick(deps: EngineDeps, queue: JobQueue, tenantIds: string[]): Promise<void> {
  const { store, clock } = deps;
  const reaped = await queue.reapExpired();
  if (reaped) deps.log.warn(`Returned ${reaped} job(s) with expired leases to the queue.`);
  const now = clock.now();
  for (const tenantId of tenantIds) {
    const projects = await listAll((cursor) => store.projects.list(tenantId, { cursor }));
    for (const project of projects) {
      try {
        const submitted = await listAll((cursor) => store.items.list(tenantId, { where: { projectId: project.id, status: 'Submitted' }, cursor }));
        // A scheduled pass typically holds many items: read each pass once per tick.
        const passes = new Map<string, Promise<Pass | undefined>>();
        const passOf = (passId: string) => passes.get(passId) ?? passes.set(passId, store.passes.get(tenantId, passId)).get(passId)!;
        for (const item of submitted) {
          const pass = item.lastRun && (await passOf(item.lastRun.passId));
          if (pass && (!pass.startAt || Date.parse(pass.startAt) <= now.getTime())) {
            await updateDoc(store.items, tenantId, item.id, (i) => (i.status === 'Submitted' ? { ...i, status: 'Queued' as const } : undefined));
          }
        }
        await settleProjectPasses(store, tenantId, project.id, now, deps.onPassEnded);
      } catch (error) {
        deps.log.error(`Scheduler could not settle project ${project.id}: ${ensureError(error).message}`);
      }
    }
  }
}
