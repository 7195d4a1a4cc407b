import { ensureError } from '../errors.js';
import type { Pass } from '../model.js';
import type { JobQueue } from '../ports.js';
import { listAll } from '../list-all.js';
import { settleProjectPasses } from './settle-passes.js';
import { updateDoc } from '../update-doc.js';
import type { EngineDeps } from './job-context.js';
import { failJob } from './run-migration-job.js';

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
    await failItemsOfDeadJobs(deps, queue, tenantId).catch((error) =>
      deps.log.error(`Scheduler could not read the dead letters: ${ensureError(error).message}`),
    );
    const projects = await listAll((cursor) => store.projects.list(tenantId, { cursor }));
    for (const project of projects) {
      try {
        const submitted = await listAll((cursor) =>
          store.items.list(tenantId, { where: { projectId: project.id, status: 'Submitted' }, cursor }),
        );
        // A scheduled pass typically holds many items: read each pass once per tick.
        const passes = new Map<string, Promise<Pass | undefined>>();
        const passOf = (passId: string) => passes.get(passId) ?? passes.set(passId, store.passes.get(tenantId, passId)).get(passId)!;
        for (const item of submitted) {
          const pass = item.lastRun && (await passOf(item.lastRun.passId));
          if (pass && (!pass.startAt || Date.parse(pass.startAt) <= now.getTime())) {
            await updateDoc(store.items, tenantId, item.id, (i) =>
              i.status === 'Submitted' ? { ...i, status: 'Queued' as const } : undefined,
            );
          }
        }
        await settleProjectPasses(store, tenantId, project.id, now, deps.onPassEnded);
      } catch (error) {
        deps.log.error(`Scheduler could not settle project ${project.id}: ${ensureError(error).message}`);
      }
    }
  }
}

/** Statuses an item holds only while a job of its pass is in the queue. */
const WITH_A_JOB = new Set(['Queued', 'Running']);

/**
 * A job the queue gave up on by itself (its lease expired again and again: the worker died each
 * time, e.g. killed or out of memory) never reached the worker's own dead-letter path, so its item
 * stayed Running and its pass never ended. Fail such an item with a reason an admin can act on.
 */
async function failItemsOfDeadJobs(deps: EngineDeps, queue: JobQueue, tenantId: string): Promise<void> {
  for (const dead of await queue.deadLetters(tenantId)) {
    const item = await deps.store.items.get(tenantId, dead.payload.itemId);
    if (!item || item.lastRun?.passId !== dead.payload.passId || !WITH_A_JOB.has(item.status)) continue;
    await failJob(
      deps,
      dead.payload,
      `The worker stopped while copying this mailbox ${dead.attempts} times in a row (${dead.reason}), so Mailferry gave this pass up. Check the host's memory and logs, then start another pass: it continues where this one stopped.`,
    );
  }
}
