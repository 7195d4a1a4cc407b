/**
 * What a pass lists of a source folder. A source with delta links (Graph) and a stored sync
 * cursor is asked only what changed since that cursor; the cursor moves on only once every item
 * the listing reported is in the ledger or the error log (the caller calls `save` then), so a
 * crash anywhere before that lists the same changes again and the ledger skips what was copied.
 *
 * Only an unfiltered full pass uses and moves cursors: a pre-stage cutoff, a date range or a
 * trial copies part of what a listing reports, so a cursor saved after it would skip the rest
 * for good; retry-errors needs the error log's items listed. A folder with rows in the error log
 * is listed from scratch (and its cursor replaced), so a full pass retries them as it always has.
 */
import type { FolderInfo, ListMessagesFilter, MailboxSession, MessageRef } from '../connector.js';
import type { PassKind } from '../model.js';
import type { SyncCursors } from '../ports.js';

export interface FolderListingInput {
  tenantId: string;
  itemId: string;
  passKind: PassKind;
  retryOnly: boolean;
  folder: FolderInfo;
  filter: ListMessagesFilter;
  /** Keys of this folder's error-log rows. */
  errorKeys: ReadonlySet<string>;
  source: MailboxSession;
  cursors?: SyncCursors;
  now(): Date;
}

export interface FolderListing {
  refs: MessageRef[];
  /** Only what changed since the last cursor was listed (not the folder's whole content). */
  incremental: boolean;
  /** Moves the folder's cursor past this listing: call only once every ref is copied or in the error log. */
  save?: () => Promise<void>;
  /** The folder is as the cursor left it: nothing listed, and this many items (all copied) in it. */
  unchangedCount?: number;
}

function usesCursor(input: FolderListingInput): boolean {
  const { passKind, retryOnly, filter } = input;
  return passKind === 'full' && !retryOnly && filter.before === undefined && filter.since === undefined;
}

export async function listFolder(input: FolderListingInput): Promise<FolderListing> {
  const { source, cursors, tenantId, itemId, folder } = input;
  if (!source.listChanges || !cursors || !usesCursor(input)) {
    return { refs: await source.listMessages(folder, input.filter), incremental: false };
  }
  const stored = await cursors.get(tenantId, itemId, 'source', folder.path);
  const follow = stored && input.errorKeys.size === 0 ? { identity: stored.folderIdentity, cursor: stored.cursor } : undefined;
  const changes = await source.listChanges(folder, follow);
  // Another folder now has this path (deleted and made again, or another mailbox): its cursor is gone.
  if (stored && stored.folderIdentity !== changes.identity) await cursors.delete(tenantId, itemId, 'source', folder.path);
  return {
    refs: changes.refs,
    incremental: !changes.restarted,
    unchangedCount: changes.restarted ? undefined : changes.unchangedCount,
    save: () =>
      cursors.put({
        tenantId,
        itemId,
        side: 'source',
        folder: folder.path,
        folderIdentity: changes.identity,
        cursor: changes.cursor,
        savedAt: input.now().toISOString(),
      }),
  };
}
