import { sumCounts } from '../counts.js';
import { ACTIVE_STATUSES, type Item, type ItemRunSummary, type ItemStatus, type Pass, type PassSummary } from '../model.js';
import type { Store } from '../ports.js';
import { listAll, projectItems } from '../list-all.js';
import { updateDoc } from '../update-doc.js';

export type PassEndedListener = (pass: Pass) => Promise<void> | void;

/**
 * Ends the project's open passes once none of its items is still active. Run after each item
 * finishes and from the scheduler, so a pass whose last job died still ends. Idempotent.
 */
export async function settleProjectPasses(
  store: Store,
  tenantId: string,
  projectId: string,
  now: Date,
  onPassEnded?: PassEndedListener,
): Promise<Pass[]> {
  const open = (await listAll((cursor) => store.passes.list(tenantId, { where: { projectId }, cursor }))).filter(
    (p) => p.status === 'running' || p.status === 'stopping',
  );
  if (!open.length) return [];
  for (const status of ACTIVE_STATUSES) {
    if ((await store.items.count(tenantId, { projectId, status })) > 0) return [];
  }
  const items = await projectItems(store, tenantId, projectId);
  const ended: Pass[] = [];
  for (const pass of open) {
    const summary = summarise(pass, items, now);
    const updated = await updateDoc(store.passes, tenantId, pass.id, (current) =>
      current.status === 'running' || current.status === 'stopping'
        ? {
            ...current,
            status: current.status === 'stopping' ? ('stopped' as const) : ('completed' as const),
            finishedAt: now.toISOString(),
            summary,
          }
        : undefined,
    );
    if (updated.version !== pass.version) {
      ended.push(updated);
      await onPassEnded?.(updated);
    }
  }
  return ended;
}

function summarise(pass: Pass, items: Item[], now: Date): PassSummary {
  const runs = items.map((i) => i.lastRun).filter((r): r is ItemRunSummary => r?.passId === pass.id);
  const count = (status: ItemStatus) => runs.filter((r) => r.status === status).length;
  return {
    items: pass.itemIds.length,
    completed: count('Completed'),
    completedWithErrors: count('Completed With Errors'),
    failedItems: count('Failed'),
    stopped: count('Stopped'),
    ...sumCounts(runs),
    durationMs: now.getTime() - Date.parse(pass.createdAt),
  };
}
