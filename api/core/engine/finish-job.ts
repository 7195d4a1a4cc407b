/**
 * How a job ends for its item: the final status, the run's counts and statistics written, and the
 * project's passes settled (a pass ends when its last item does).
 */
import { addCounts, countsOf, zeroCounts } from '../counts.js';
import type { MailferryError } from '../errors.js';
import { withEndedRun, type Counts, type ItemRunSummary, type ItemStatus } from '../model.js';
import type { JobPayload } from '../ports.js';
import { updateDoc } from '../update-doc.js';
import { loadJobRecords, type EngineDeps, type JobRecords } from './job-context.js';
import { settleProjectPasses } from './settle-passes.js';

export type JobOutcome =
  | { kind: 'finished'; status: ItemStatus }
  /** The server asked for a long pause, or a fault outlasted inline retries: give the job back. */
  | { kind: 'retry'; error: MailferryError }
  /** Shutdown: release without counting an attempt; the item resumes on next start. */
  | { kind: 'released' };

/** The queue gave up on a job (dead letter): the item fails with the last reason. */
export async function failJob(deps: EngineDeps, job: JobPayload, reason: string): Promise<void> {
  const records = await loadJobRecords(deps.store, job);
  if (records) await finish(deps, records, 'Failed', records.item.progress ? countsOf(records.item.progress) : zeroCounts(), reason);
}

export async function finish(
  deps: EngineDeps,
  records: JobRecords,
  status: ItemStatus,
  tally: Counts,
  reason?: string,
): Promise<JobOutcome> {
  const { item, pass } = records;
  const now = deps.clock.now();
  const startedAt = item.lastRun?.passId === pass.id && item.lastRun.startedAt ? item.lastRun.startedAt : now.toISOString();
  const durationMs = now.getTime() - Date.parse(startedAt);
  const [messagesAtDestination, currentErrors] = await Promise.all([
    deps.store.ledger.countDone(item.tenantId, item.id),
    deps.store.errors.count(item.tenantId, item.id),
  ]);
  const run: ItemRunSummary = { ...tally, passId: pass.id, kind: pass.kind, status, startedAt, finishedAt: now.toISOString(), reason };
  await updateDoc(deps.store.items, item.tenantId, item.id, (current) => ({
    ...withEndedRun(current, run),
    progress: current.progress ? { ...current.progress, ...tally, updatedAt: now.toISOString() } : undefined,
    statistics: addCounts(
      {
        ...current.statistics,
        passes: current.statistics.passes + 1,
        folders: Math.max(current.statistics.folders, current.progress?.foldersTotal ?? 0),
        durationMs: current.statistics.durationMs + durationMs,
        messagesAtDestination,
        currentErrors,
      },
      tally,
    ),
  }));
  await settleProjectPasses(deps.store, item.tenantId, item.projectId, now, deps.onPassEnded);
  deps.log.info(`Item finished: ${status}`, { itemId: item.id, passId: pass.id, ...tally });
  return { kind: 'finished', status };
}
