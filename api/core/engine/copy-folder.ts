import type { ContentFormat, FolderInfo, ListMessagesFilter, MailboxSession, MessageRef, SourceMessage } from '../connector.js';
import { ItemTooLargeError, ensureError } from '../errors.js';
import type { Counts, ErrorRow, LedgerEntry, PassKind } from '../model.js';
import type { ErrorLog, Ledger, SyncCursors } from '../ports.js';
import { mapSourceMessage } from '../recipient-mapping.js';
import type { RecipientMappingRule } from '../support-options.js';
import { ensureDestination } from './ensure-destination.js';
import { listFolder, type FolderListing } from './folder-listing.js';
import { readAhead, type ReadAheadLimits } from './read-ahead.js';
import { recoverPending } from './recover-pending.js';
import { syncFlags } from './sync-flags.js';

/** A trial pass copies at most this many items per folder (DESIGN: "trial ≤10 items per folder"). */
export const TRIAL_ITEMS_PER_FOLDER = 10;
/** Pending ledger rows are written this many messages ahead of the destination writes. */
const PENDING_CHUNK = 500;
/** Results are committed to the ledger in batches of this many, or sooner at a checkpoint. */
const COMMIT_BATCH = 200;
/** How far reads may run ahead of writes: enough to hide a read batch, small enough for RSS. */
const READ_AHEAD: ReadAheadLimits = { maxItems: 400, maxBytes: 1024 * 1024 };
const bufferedBytes = (message: SourceMessage) => (Buffer.isBuffer(message.content) ? message.content.length : 0);

export interface FolderTarget {
  source: FolderInfo;
  destSegments: string[];
  /** A \Noselect container: never created by itself (its subfolders' creation makes it) and never listed. */
  createOnly: boolean;
  /** The destination path with `'` for `"`, tried when the destination refuses `destSegments`. */
  quoteFallback?: string[];
}

export interface CopyFolderInput {
  tenantId: string;
  itemId: string;
  passId: string;
  passKind: PassKind;
  target: FolderTarget;
  filter: ListMessagesFilter;
  maxItemSizeBytes?: number;
  /** `RecipientMapping`: address headers of Internet messages are rewritten on the way. */
  recipientMappings?: readonly RecipientMappingRule[];
  /** Source keys of this folder that have rows in the error log: a success removes its row. */
  errorKeys: Set<string>;
  /** retry-errors: copy only the keys in `errorKeys`. */
  retryOnly: boolean;
  source: MailboxSession;
  dest: MailboxSession;
  ledger: Ledger;
  errors: ErrorLog;
  /** Where each folder's delta listing left off (sources with delta links); absent: every pass lists in full. */
  cursors?: SyncCursors;
  /** Shared by every folder of the job; copied, failed and bytes are updated as results arrive. */
  tally: Counts;
  /** Returns false when the job must stop feeding new items (stop requested, MaxErrors, shutdown). */
  keepGoing(): boolean;
  /**
   * Formats the destination refused during this job (shared by its folders and lanes) and why:
   * they are not asked of the source again, and refused items are read again in another format.
   */
  refusedFormats: Map<ContentFormat, Error>;
  /** Told the first time the destination refuses a format (for the item's report and the log). */
  onFormatRefused?(format: ContentFormat, error: Error): void;
  /** Called after each commit: progress write and stop check, rate-limited by the caller. */
  checkpoint(): Promise<void>;
  /** This folder's listing, started on the same source session while the folder before it finished (see onSourceIdle). */
  listing?: Promise<FolderListing>;
  /**
   * Called at most once, when this folder will not use the source session again: every message
   * was handed to the destination and each one read lazily (a streamed large message) was read to
   * its end or answered, and no other format will be read. The caller may list its next folder on
   * the session meanwhile, while the destination still works through this folder's last writes.
   */
  onSourceIdle?(): void;
  now(): Date;
}

export interface CopyFolderResult {
  /** The destination folder's path as the destination names it. */
  destPath: string;
  listed: number;
  copied: number;
  skipped: number;
  failed: number;
  /** Pending entries of an earlier attempt found at the destination and counted as copied. */
  recovered: number;
  /** Copies whose flags were brought in line with the source's (flag or keyword changes after the copy). */
  flagsUpdated?: number;
}

/** Full and pre-stage passes carry flag changes; a trial copies a sample, retry-errors only its rows. */
function carriesFlags(input: CopyFolderInput): boolean {
  return !input.retryOnly && input.passKind !== 'trial';
}

/** The error-log key of a folder that could not be created and held no item to report. */
export const FOLDER_ROW_KEY = '(folder)';

/**
 * The destination refused to create the folder (a Groups mailbox holds only Inbox and Calendar,
 * a name it cannot take, …): each of the folder's items that this pass would copy becomes an error
 * row with the destination's reason (an empty folder: one row for the folder itself), and the job
 * goes on with the other folders. Never a silent drop, never the whole mailbox failed for one folder.
 */
/** What a pass copies of a folder's listing: not in the ledger yet; for retry-errors, only what the error log holds. */
function notYetCopied(input: CopyFolderInput, refs: MessageRef[], done: { has(key: string): boolean }): MessageRef[] {
  const todo = refs.filter((ref) => !done.has(ref.key));
  return input.retryOnly ? todo.filter((ref) => input.errorKeys.has(ref.key)) : todo;
}

/** A trial pass takes the first TRIAL_ITEMS_PER_FOLDER of them. */
function trialCut(input: CopyFolderInput, refs: MessageRef[]): MessageRef[] {
  return input.passKind === 'trial' ? refs.slice(0, TRIAL_ITEMS_PER_FOLDER) : refs;
}

async function refuseFolder(input: CopyFolderInput, error: Error): Promise<CopyFolderResult> {
  const { tenantId, itemId, target } = input;
  const folder = target.source.path;
  const done = new Set(
    (await input.ledger.folderEntries(tenantId, itemId, folder)).filter((e) => e.state === 'done').map((e) => e.sourceKey),
  );
  const refs = trialCut(input, notYetCopied(input, await input.source.listMessages(target.source, input.filter), done));
  const code = ensureError(error).code;
  const at = input.now().toISOString();
  const rows: ErrorRow[] = refs.length
    ? refs.map((ref) => ({
        tenantId,
        itemId,
        passId: input.passId,
        folder,
        sourceKey: ref.key,
        size: ref.size,
        code,
        reason: error.message,
        at,
      }))
    : input.retryOnly && !input.errorKeys.has(FOLDER_ROW_KEY)
      ? []
      : [
          {
            tenantId,
            itemId,
            passId: input.passId,
            folder,
            sourceKey: FOLDER_ROW_KEY,
            subject: `Folder "${folder}"`,
            size: 0,
            code,
            reason: error.message,
            at,
          },
        ];
  await input.errors.put(rows);
  input.tally.failed += rows.length;
  await input.checkpoint();
  return { destPath: '', listed: refs.length, copied: 0, skipped: done.size, failed: rows.length, recovered: 0 };
}

/**
 * Copies one folder: plan what is missing from the ledger, write pending rows ahead of the
 * destination writes, stream reads into the pipelined writer, and commit results in batches.
 * Re-running it after any failure is safe: the ledger (and pending recovery) makes it resume.
 */
export async function copyFolder(input: CopyFolderInput): Promise<CopyFolderResult> {
  const { source, dest, ledger, tenantId, itemId, target } = input;
  const folder = target.source.path;
  // Creating a container by itself would make it a real (selectable, empty) folder on most
  // servers; its subfolders' CREATE makes it a hierarchy-only name where the destination has them.
  if (target.createOnly) return { destPath: '', listed: 0, copied: 0, skipped: 0, failed: 0, recovered: 0 };
  // The destination folder and the source's listing do not depend on each other: both at once,
  // so a folder costs the destination's round trips or the source's, not their sum (the IMAP
  // bench's 16 folders: ~6 ms of CREATE/STATUS and ~11 ms of listing each, the destination idle).
  // Their failures come in the order they did when one waited for the other.
  const [ensuring, listed] = await Promise.allSettled([
    ensureDestination(input),
    input.listing ?? listFolder({ ...input, folder: target.source }),
  ]);
  if (ensuring.status === 'rejected') throw ensuring.reason;
  const destination = ensuring.value;
  if ('refusal' in destination) return refuseFolder(input, destination.refusal);
  if (listed.status === 'rejected') throw listed.reason;
  const listing = listed.value;
  const { path: destPath, state: destState } = destination.ensured;
  const result: CopyFolderResult = { destPath, listed: 0, copied: 0, skipped: 0, failed: 0, recovered: 0 };
  // Nothing changed since the cursor was saved, and the cursor is saved only once everything the
  // listing before it reported was copied: no pending rows, nothing to copy, no flag to carry.
  if (listing.unchangedCount !== undefined) return { ...result, skipped: listing.unchangedCount };

  const entries = await ledger.folderEntries(tenantId, itemId, folder);
  const done = new Map(entries.filter((e) => e.state === 'done').map((e) => [e.sourceKey, e]));
  const pending = entries.filter((e) => e.state === 'pending');
  if (pending.length) {
    const { recovered } = await recoverPending(ledger, dest, done, pending);
    for (const entry of recovered) {
      done.set(entry.sourceKey, entry);
      // Copied by an earlier attempt of this job that died before committing: count it now.
      input.tally.copied++;
      input.tally.bytes += entry.size;
    }
    result.recovered = recovered.length;
  }

  const { refs } = listing;
  result.listed = refs.length;
  const wanted = notYetCopied(input, refs, done);
  // A delta lists only what changed: what the ledger already holds counts as skipped, as a full listing would show it.
  result.skipped = listing.incremental ? done.size : refs.length - wanted.length;
  const copiedBefore = refs.flatMap((ref) => {
    const entry = done.get(ref.key);
    return entry ? [{ ref, entry }] : [];
  });
  const todo = trialCut(input, wanted);

  const failures: ErrorRow[] = [];
  const fail = (ref: MessageRef, raw: unknown, subject?: string) => {
    const error = ensureError(raw);
    failures.push({
      tenantId,
      itemId,
      passId: input.passId,
      folder,
      sourceKey: ref.key,
      subject,
      size: ref.size,
      code: error.code,
      reason: error.message,
      at: input.now().toISOString(),
    });
    result.failed++;
    input.tally.failed++;
  };

  const limit = input.maxItemSizeBytes;
  const writable =
    limit === undefined
      ? todo
      : todo.filter((ref) => {
          if (ref.size <= limit) return true;
          fail(ref, new ItemTooLargeError(`The message is ${ref.size} bytes, over MaxItemSizeBytes=${limit}.`));
          return false;
        });

  const pendingEntry = (ref: MessageRef): LedgerEntry => ({
    tenantId,
    itemId,
    folder,
    sourceKey: ref.key,
    destFolder: destPath,
    destId: '',
    size: ref.size,
    internalDate: ref.internalDate,
    state: 'pending',
    destUidFloor: destState.uidNext,
    destUidValidity: destState.uidValidity,
  });

  const mappings = input.recipientMappings ?? [];
  const refused = input.refusedFormats;
  const formats = () => (dest.accepts ?? ['rfc822']).filter((f) => !refused.has(f));
  /** Items whose format the destination refused: read again in another format after this round. */
  const again: MessageRef[] = [];
  async function* feed(refs: MessageRef[]): AsyncGenerator<SourceMessage> {
    for (let start = 0; start < refs.length && input.keepGoing(); start += PENDING_CHUNK) {
      const chunk = refs.slice(start, start + PENDING_CHUNK);
      await ledger.put(chunk.map(pendingEntry));
      for await (const read of source.readMessages(target.source, chunk, { formats: formats() })) {
        if ('error' in read) {
          fail(read.ref, read.error);
          await ledger.deletePending(tenantId, itemId, folder, [read.ref.key]);
          continue;
        }
        if (!mappings.length) yield read;
        else {
          try {
            yield await mapSourceMessage(read, mappings);
          } catch (error) {
            fail(read.ref, error, read.subject);
            await ledger.deletePending(tenantId, itemId, folder, [read.ref.key]);
          }
        }
        if (!input.keepGoing()) break;
      }
    }
  }
  const lazyReads = new LazyReads(() => input.onSourceIdle?.());
  /** Items read ahead in a format refused meanwhile are not offered again: they wait for the next round. */
  async function* divert(messages: AsyncIterable<SourceMessage>): AsyncGenerator<SourceMessage> {
    for await (const message of messages) {
      if (refused.has(message.format ?? 'rfc822')) again.push(message.ref);
      else {
        if (message.subject) subjectsInFlight.set(message.ref.key, message.subject);
        yield lazyReads.track(message);
      }
    }
    // No other round can follow with one format left (a refusal leaves none): the source is done
    // once the lazy reads handed out are.
    if (formats().length <= 1) lazyReads.exhausted();
  }
  /** The subject the source gave with each message on its way to the destination: a refused write's error row names it. */
  const subjectsInFlight = new Map<string, string>();

  let batch: LedgerEntry[] = [];
  const unconfirmed: string[] = [];
  const commit = async () => {
    if (batch.length) await ledger.put(batch);
    if (unconfirmed.length) await ledger.deletePending(tenantId, itemId, folder, unconfirmed.splice(0));
    if (failures.length) await input.errors.put(failures.splice(0));
    const fixed = batch.map((e) => e.sourceKey).filter((key) => input.errorKeys.has(key));
    batch = [];
    if (fixed.length) await input.errors.remove(tenantId, itemId, folder, fixed);
    await input.checkpoint();
  };
  const write = async (refs: MessageRef[]) => {
    for await (const written of dest.appendMessages(destPath, divert(readAhead(feed(refs), bufferedBytes, READ_AHEAD)))) {
      const subject = subjectsInFlight.get(written.ref.key);
      subjectsInFlight.delete(written.ref.key);
      lazyReads.answered(written.ref.key);
      if (written.formatRefused && written.error) {
        if (!refused.has(written.formatRefused)) input.onFormatRefused?.(written.formatRefused, written.error);
        refused.set(written.formatRefused, written.error);
        again.push(written.ref); // its pending row stays until the next round writes it
      } else if (written.error) {
        fail(written.ref, written.error, subject);
        unconfirmed.push(written.ref.key);
      } else {
        // A server without UIDPLUS (RFC 4315) confirms the write but names no UID: still a copy.
        batch.push({ ...pendingEntry(written.ref), state: 'done', destId: written.destId ?? '' });
        // Written without some of its parts: the admin reads what was left out; no pass writes it again.
        for (const loss of written.losses ?? []) fail(written.ref, loss, subject);
        result.copied++;
        input.tally.copied++;
        input.tally.bytes += written.ref.size;
      }
      if (batch.length + unconfirmed.length >= (dest.commitEachWrite ? 1 : COMMIT_BATCH)) await commit();
    }
  };

  try {
    await write(writable);
    // Each round offers fewer formats (a refused one is never offered again), so this ends.
    while (again.length && input.keepGoing() && formats().length) await write(again.splice(0));
    // Left over: the job stopped (copied by a later pass), or the destination refused every format.
    const lastRefusal = [...refused.values()].at(-1);
    for (const ref of again.splice(0)) {
      if (input.keepGoing() && lastRefusal) fail(ref, lastRefusal);
      unconfirmed.push(ref.key);
    }
  } finally {
    // Results the server confirmed before a failure are real copies: commit them now, so the
    // retry does not have to recover (and count) them a second time.
    await commit();
  }
  if (carriesFlags(input) && input.keepGoing()) {
    result.flagsUpdated = await syncFlags(dest, destPath, copiedBefore);
    input.tally.flagsUpdated = (input.tally.flagsUpdated ?? 0) + result.flagsUpdated;
  }
  // Every ref the listing reported is now in the ledger or the error log (none left unfed by a
  // stop or MaxErrors), flags included: only now may the next pass start after this listing.
  if (listing.save && result.copied + result.failed === todo.length && input.keepGoing()) await listing.save();
  return result;
}

/**
 * When the source session is free again. A message whose content is read lazily (a stream the
 * destination opens when it writes it) still needs the session after the listing handed it out,
 * until its stream has ended or the destination answered for it (a write refused before its body
 * never opens the stream). Once the input is exhausted and no such read is left, `idle` runs once.
 */
class LazyReads {
  private readonly open = new Set<string>();
  private done = false;
  private told = false;

  constructor(private readonly idle: () => void) {}

  track(message: SourceMessage): SourceMessage {
    const { content } = message;
    if (Buffer.isBuffer(content)) return message;
    const key = message.ref.key;
    this.open.add(key);
    return {
      ...message,
      content: async () => {
        try {
          const stream = await content();
          stream.once('close', () => this.answered(key));
          return stream;
        } catch (error) {
          this.answered(key);
          throw error;
        }
      },
    };
  }

  answered(key: string): void {
    if (this.open.delete(key)) this.check();
  }

  exhausted(): void {
    this.done = true;
    this.check();
  }

  private check(): void {
    if (!this.done || this.told || this.open.size > 0) return;
    this.told = true;
    this.idle();
  }
}
