/**
 * One job (one item × one pass): opens the sessions, plans the folders, copies them in one lane or
 * several (ConnectionsPerMailbox), then the mailbox settings (copy-settings.ts), writing progress
 * at checkpoints where an admin's stop is noticed; how the item ends is finish-job.ts's.
 */
import type { ContentFormat, ListMessagesFilter, MailboxSession } from '../connector.js';
import { messagesPerSecond, sumCounts, zeroCounts } from '../counts.js';
import { StoppedError, ensureError } from '../errors.js';
import { planFolders } from '../folder-plan.js';
import type { Counts, FolderCounts, Item, ItemProgress, ItemStatus, Pass } from '../model.js';
import { TERMINAL_STATUSES } from '../model.js';
import type { JobPayload } from '../ports.js';
import { listAll } from '../list-all.js';
import { updateDoc } from '../update-doc.js';
import { openSecretOptions } from '../secret-options.js';
import { resolveSupportOptions, type SupportOptions } from '../support-options.js';
import { copyFolder, type FolderTarget } from './copy-folder.js';
import { listFolder, type FolderListing } from './folder-listing.js';
import { loadJobRecords, type EngineDeps, type JobRecords } from './job-context.js';
import { withRetries } from './retry.js';
import { SETTINGS_FOLDER, copySettings, settingTypesOf } from './copy-settings.js';
import { failJob, finish, type JobOutcome } from './finish-job.js';
import { Lane } from './job-lane.js';

export { SETTINGS_FOLDER, failJob, type JobOutcome };

/** Runs one job (one item × one pass) to an outcome. Never throws for mailbox-level failures. */
export async function runMigrationJob(deps: EngineDeps, job: JobPayload, signal: AbortSignal): Promise<JobOutcome> {
  const records = await loadJobRecords(deps.store, job);
  if (!records) return { kind: 'finished', status: 'Stopped' }; // deleted while queued
  const { item, pass } = records;
  if (item.lastRun?.passId === pass.id && TERMINAL_STATUSES.has(item.lastRun.status)) {
    return { kind: 'finished', status: item.lastRun.status }; // a redelivery of a job that already finished
  }
  if (pass.status === 'stopping' || pass.status === 'stopped')
    return finish(deps, records, 'Stopped', zeroCounts(), 'Stopped before it started.');

  let options: SupportOptions;
  try {
    const open = (lines: string[]) => openSecretOptions(deps.vault, item.tenantId, lines);
    options = resolveSupportOptions(await open(records.project.options), await open(item.options));
  } catch (error) {
    return finish(deps, records, 'Failed', zeroCounts(), ensureError(error).message);
  }
  const run = new JobRun(deps, records, options, signal);
  try {
    await run.markRunning();
    await run.execute();
    if (signal.aborted) {
      await run.writeProgress('Queued');
      return { kind: 'released' };
    }
    return finish(deps, records, run.finalStatus(), run.tally, run.reason);
  } catch (raw) {
    const error = ensureError(raw);
    // Shutdown or the end of a slice interrupted whatever was in progress (even a login): the
    // failure is ours, not the mailbox's. Release the job without spending an attempt.
    if (signal.aborted && !(error instanceof StoppedError)) {
      await run.writeProgress('Queued');
      return { kind: 'released' };
    }
    if (error instanceof StoppedError) return finish(deps, records, 'Stopped', run.tally, error.message);
    // The item shows the admin's sentence; the log keeps the socket or OpenSSL text behind it.
    if (error.details) deps.log.warn(error.message, { itemId: item.id, details: error.details });
    if (error.retryable) {
      await run.writeProgress('Queued', `Will retry: ${error.message}`);
      return { kind: 'retry', error };
    }
    return finish(deps, records, 'Failed', run.tally, error.message);
  } finally {
    await run.close();
  }
}

/** The folders a job's lanes share, and what each folder's listing needs. */
interface FolderWork {
  errorKeys: Map<string, Set<string>>;
  filter: ListMessagesFilter;
  todo: FolderTarget[];
}

/** A folder taken off the list early, and its listing started on the lane's source session. */
interface ListedAhead {
  target: FolderTarget;
  source: MailboxSession;
  listing: Promise<FolderListing>;
}

class JobRun {
  reason?: string;
  private readonly lanes: Lane[] = [];
  /** Every folder started so far, in start order; progress and counts are derived from it. */
  private readonly folderRuns: { path: string; counts: Counts; done: boolean }[] = [];
  /** Source folder path → destination path, for settings that name folders. */
  private readonly destPaths = new Map<string, string>();
  private laneFailed = false;
  private foldersTotal = 0;
  private lastCheckpoint = 0;
  private stopRequested = false;
  private maxErrorsExceeded = false;
  /** Formats the destination refused in this job (Exchange Online and an on-premises EWS stream): MIME after the first refusal. */
  private readonly refusedFormats = new Map<ContentFormat, Error>();
  private readonly startedAt: Date;

  constructor(
    private readonly deps: EngineDeps,
    private readonly records: JobRecords,
    private readonly options: SupportOptions,
    private readonly signal: AbortSignal,
  ) {
    this.startedAt = deps.clock.now();
  }

  private get item(): Item {
    return this.records.item;
  }

  private get pass(): Pass {
    return this.records.pass;
  }

  async markRunning(): Promise<void> {
    await this.writeProgress('Running');
  }

  async execute(): Promise<void> {
    const { deps } = this;
    const first = new Lane(this.deps, this.records, this.options, this.signal);
    this.lanes.push(first);
    await first.reopen();
    if (this.pass.kind === 'verify') return;
    const itemTypes = new Set(this.pass.options.itemTypes);
    // Both sides' folder lists at once; the source's failure first, as when one waited for the other.
    const [listedSource, layout] = await Promise.allSettled([first.source!.listFolders(), first.destinationLayout()]);
    if (listedSource.status === 'rejected') throw listedSource.reason;
    if (layout.status === 'rejected') throw layout.reason;
    const sourceFolders = listedSource.value;
    // A folder of a type the pass did not select is neither created nor copied.
    const selected = sourceFolders.filter((f) => itemTypes.has(f.itemType ?? 'mail'));
    const plan = planFolders(selected, layout.value, this.options);
    for (const warning of plan.warnings) deps.log.warn(warning, { itemId: this.item.id });
    this.foldersTotal = plan.entries.length;
    const settingTypes = settingTypesOf(itemTypes);
    if (plan.entries.length === 0 && settingTypes.length === 0) {
      const held = [...new Set(sourceFolders.map((f) => f.itemType ?? 'mail'))].join(', ');
      this.reason = `Nothing to copy: the source mailbox holds ${held || 'no folders'} and the pass selected ${[...itemTypes].join(', ')}.`;
      return;
    }
    const context: FolderWork = { errorKeys: await this.loadErrorKeys(), filter: this.listFilter(), todo: [...plan.entries] };
    // ConnectionsPerMailbox > 1: several folders at once, each lane with its own pair of sessions.
    const laneCount = Math.max(1, Math.min(this.options.connectionsPerMailbox, plan.entries.length));
    for (let i = 1; i < laneCount; i++) this.lanes.push(new Lane(this.deps, this.records, this.options, this.signal));
    const outcomes = await Promise.allSettled(this.lanes.map((lane) => this.drain(lane, context)));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    if (this.stopRequested) throw new StoppedError();
    // Folders that found nothing to do did not force a progress write; this one shows them all.
    await this.checkpoint(true);
    if (settingTypes.length && this.keepGoing()) {
      const run = {
        deps: this.deps,
        item: this.item,
        pass: this.pass,
        source: first.source!,
        dest: first.dest!,
        destPath: (path: string) => this.destPaths.get(path),
      };
      const counts = await copySettings(run, settingTypes, context.errorKeys.get(SETTINGS_FOLDER) ?? new Set());
      if (counts) {
        this.folderRuns.push({ path: SETTINGS_FOLDER, counts, done: true });
        await this.checkpoint(true);
      }
    }
  }

  /**
   * One lane takes folders from the shared list until it is empty or the job must stop. When a
   * folder is done with the source (its last reads are in the destination's hands), the lane takes
   * the next folder and lists it on the idle source session while the destination still writes:
   * the listing's round trips (EXAMINE, the UID FETCH of every message's attributes) no longer
   * leave the destination idle between folders.
   */
  private async drain(lane: Lane, context: FolderWork): Promise<void> {
    if (!lane.source) await lane.reopen();
    const ahead: ListedAhead[] = []; // folders this lane took early, in order (one, or one per retried round)
    for (let target = context.todo.shift(); target && this.keepGoing(); target = ahead[0]?.target ?? context.todo.shift()) {
      const listed = ahead.shift();
      try {
        await this.copyOneFolder(lane, target, context, listed, () => {
          const next = this.listAhead(lane, context);
          if (next) ahead.push(next);
        });
      } catch (error) {
        this.laneFailed = true; // the other lanes finish what they have in flight and stop
        throw error;
      }
    }
  }

  /** Takes the next folder off the shared list and starts its listing on this lane's source session. */
  private listAhead(lane: Lane, context: FolderWork): ListedAhead | undefined {
    const target = context.todo[0];
    // A container is never listed (its EXAMINE would fail), and a stopping job lists nothing more.
    if (!target || target.createOnly || !lane.source || !this.keepGoing()) return undefined;
    context.todo.shift();
    const listing = listFolder({ ...this.listingInput(target, context, lane.source), folder: target.source });
    listing.catch(() => undefined); // awaited by the folder's copy; unused if the job stops first
    return { target, source: lane.source, listing };
  }

  /** What a folder's listing needs besides the folder: the same for a listing made ahead and for the copy's own. */
  private listingInput(target: FolderTarget, context: FolderWork, source: MailboxSession) {
    return {
      tenantId: this.item.tenantId,
      itemId: this.item.id,
      passKind: this.pass.kind,
      retryOnly: this.pass.kind === 'retry-errors',
      filter: context.filter,
      errorKeys: context.errorKeys.get(target.source.path) ?? new Set<string>(),
      source,
      cursors: this.deps.store.cursors,
      now: () => this.deps.clock.now(),
    };
  }

  private async copyOneFolder(
    lane: Lane,
    target: FolderTarget,
    context: FolderWork,
    listed: ListedAhead | undefined,
    onSourceIdle: () => void,
  ): Promise<void> {
    const { deps } = this;
    const run = { path: target.source.path, counts: zeroCounts(), done: false };
    const { counts } = run;
    this.folderRuns.push(run);
    let copiedBefore = 0;
    const last = await withRetries(
      deps.retry,
      deps.clock,
      async (round) => {
        if (round > 0) await lane.reopen();
        // A listing made ahead holds only for the session it was made on, and only the first time.
        const listing = round === 0 && listed && listed.source === lane.source ? listed.listing : undefined;
        return copyFolder({
          ...this.listingInput(target, context, lane.source!),
          passId: this.pass.id,
          target,
          maxItemSizeBytes: this.options.maxItemSizeBytes,
          recipientMappings: this.options.recipientMappings,
          dest: lane.dest!,
          ledger: deps.store.ledger,
          errors: deps.store.errors,
          refusedFormats: this.refusedFormats,
          onFormatRefused: (format, error) => this.formatRefused(format, error),
          tally: counts,
          keepGoing: () => this.keepGoing(),
          checkpoint: () => this.checkpoint(),
          listing,
          onSourceIdle,
        });
      },
      {
        signal: this.signal,
        madeProgress: () => {
          const progressed = counts.copied > copiedBefore;
          copiedBefore = counts.copied;
          return progressed;
        },
        onRetry: (error, waitMs) =>
          deps.log.warn(`Retrying folder after: ${error.message}`, { itemId: this.item.id, folder: target.source.path, waitMs }),
      },
    );
    // Items an earlier attempt of this job copied show up as "already copied" in the last attempt.
    counts.skipped = last.skipped - (counts.copied - last.copied);
    if (last.destPath) this.destPaths.set(target.source.path, last.destPath); // '' : the destination refused the folder
    run.done = true;
    // A folder that changed something is written down at once; one that found nothing to do (a
    // delta's usual folder) waits for the next timed checkpoint, or the one after the last folder.
    await this.checkpoint(last.copied + last.failed + last.recovered + (last.flagsUpdated ?? 0) > 0);
  }

  /** The first refusal of a format switches the rest of the job to another one; the item's report says so. */
  private formatRefused(format: ContentFormat, error: Error): void {
    this.deps.log.warn(`The destination refused the ${format} format; the rest of this mailbox goes in another format.`, {
      itemId: this.item.id,
      format,
    });
    this.reason = error.message;
  }

  finalStatus(): ItemStatus {
    if (this.maxErrorsExceeded) {
      this.reason = `More than MaxErrors=${this.options.maxErrors} items failed; the pass stopped for this mailbox. Review the error log.`;
      return 'Failed';
    }
    return this.tally.failed > 0 ? 'Completed With Errors' : 'Completed';
  }

  private keepGoing(): boolean {
    if (this.tally.failed > this.options.maxErrors) this.maxErrorsExceeded = true;
    return !this.signal.aborted && !this.stopRequested && !this.maxErrorsExceeded && !this.laneFailed;
  }

  /** The job's counts: the sum over the folders started so far. */
  get tally(): Counts {
    return sumCounts(this.folderRuns.map((run) => run.counts));
  }

  /** Progress write and stop check, at most every `checkpointMs` unless forced. */
  private async checkpoint(force = false): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (!force && now - this.lastCheckpoint < this.deps.checkpointMs) return;
    this.lastCheckpoint = now;
    const pass = await this.deps.store.passes.get(this.item.tenantId, this.pass.id);
    if (!pass || pass.status === 'stopping' || pass.status === 'stopped') this.stopRequested = true;
    await this.writeProgress('Running');
  }

  async writeProgress(status: ItemStatus, reason?: string): Promise<void> {
    const now = this.deps.clock.now();
    const tally = this.tally;
    const finished = this.folderRuns.filter((run) => run.done);
    const progress: ItemProgress = {
      passId: this.pass.id,
      passKind: this.pass.kind,
      currentFolder: this.folderRuns.at(-1)?.path,
      foldersDone: finished.length,
      foldersTotal: this.foldersTotal,
      ...tally,
      startedAt: this.startedAt.toISOString(),
      updatedAt: now.toISOString(),
      messagesPerSecond: messagesPerSecond(tally.copied, now.getTime() - this.startedAt.getTime()),
      folders: finished.map(
        (run): FolderCounts => ({ path: run.path, copied: run.counts.copied, skipped: run.counts.skipped, failed: run.counts.failed }),
      ),
    };
    this.records.item = await updateDoc(this.deps.store.items, this.item.tenantId, this.item.id, (item) => ({
      ...item,
      status,
      progress,
      // The pass's submission writes lastRun without a start; the first run of this pass sets it and later slices keep it.
      lastRun: {
        ...zeroCounts(),
        ...item.lastRun,
        passId: this.pass.id,
        kind: this.pass.kind,
        status,
        startedAt: (item.lastRun?.passId === this.pass.id && item.lastRun.startedAt) || this.startedAt.toISOString(),
        reason,
      },
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }

  private listFilter(): ListMessagesFilter {
    const { cutoff, dateFrom, dateTo } = this.pass.options;
    const before = [cutoff, dateTo].filter((d): d is string => !!d).map((d) => Date.parse(d));
    return {
      before: before.length ? Math.min(...before) : undefined,
      since: dateFrom ? Date.parse(dateFrom) : undefined,
    };
  }

  private async loadErrorKeys(): Promise<Map<string, Set<string>>> {
    const { tenantId, id } = this.item;
    const rows = await listAll((cursor) => this.deps.store.errors.list(tenantId, id, { cursor, limit: 1000 }));
    const byFolder = new Map<string, Set<string>>();
    for (const row of rows) {
      const keys = byFolder.get(row.folder) ?? new Set<string>();
      keys.add(row.sourceKey);
      byFolder.set(row.folder, keys);
    }
    return byFolder;
  }
}
