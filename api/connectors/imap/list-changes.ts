/**
 * A source folder's listing for a delta pass; the engine keeps the cursor between passes
 * (api/core/engine/folder-listing.ts). The identity is UIDVALIDITY; the cursor is what STATUS
 * said before the listing: UIDNEXT, MESSAGES and, with CONDSTORE, HIGHESTMODSEQ.
 * - With CONDSTORE (RFC 7162) a folder whose four values are those of the cursor is not listed at
 *   all: no message was added, removed or had its flags changed (every change raises
 *   HIGHESTMODSEQ, §3.1.2). Otherwise `UID FETCH 1:* (…) (CHANGEDSINCE modseq)` lists only new
 *   messages and those whose flags changed, which the engine copies or carries flags for.
 * - Without CONDSTORE a flag change moves neither UIDNEXT nor MESSAGES, so the folder is listed
 *   in full every pass (one FETCH of flags), and the engine compares flags with the destination.
 */
import type { FolderChanges, FolderInfo } from '../../core/connector.js';
import type { FolderDirectory } from './ensure-folder.js';
import type { ImapWire } from './imap-wire.js';
import { listMessages } from './list-messages.js';
import { statusOf } from './wire-commands.js';

interface FolderCursor {
  uidNext: number;
  messages: number;
  modseq?: string;
}

/**
 * The STATUS comes from the session's folder listing when the server has LIST-STATUS (taken before
 * this listing, so the cursor is never ahead of what was listed), else from a STATUS now; only a
 * folder that changed is examined and fetched.
 */
export async function listChanges(
  wire: ImapWire,
  directory: FolderDirectory,
  folder: FolderInfo,
  since?: { identity: string; cursor: string },
): Promise<FolderChanges> {
  const condstore = wire.capabilities.has('CONDSTORE');
  const listed = directory.takeStatus(folder.path);
  const status =
    listed?.uidValidity !== undefined && listed.uidNext !== undefined && listed.messages !== undefined
      ? listed
      : await statusOf(wire, folder.path, ['UIDVALIDITY', 'UIDNEXT', 'MESSAGES', 'HIGHESTMODSEQ']);
  const now: FolderCursor = { uidNext: Number(status.uidNext), messages: Number(status.messages), modseq: status.highestModseq };
  const identity = String(status.uidValidity);
  const cursor = JSON.stringify(now);
  const before = since?.identity === identity ? parseCursor(since.cursor) : undefined;
  if (!condstore || !now.modseq || !before?.modseq) return { refs: await listMessages(wire, folder), identity, cursor, restarted: true };
  if (before.modseq === now.modseq && before.uidNext === now.uidNext && before.messages === now.messages) {
    return { refs: [], identity, cursor, restarted: false, unchangedCount: now.messages };
  }
  return { refs: await listMessages(wire, folder, {}, BigInt(before.modseq)), identity, cursor, restarted: false };
}

function parseCursor(text: string): FolderCursor | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<FolderCursor>;
    return typeof parsed.uidNext === 'number' && typeof parsed.messages === 'number' ? (parsed as FolderCursor) : undefined;
  } catch {
    return undefined; // a cursor from another version: list in full and replace it
  }
}
