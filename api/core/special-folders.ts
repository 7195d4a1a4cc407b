/**
 * Special folders (RFC 6154 SPECIAL-USE, Exchange distinguished folders) recognised by their
 * flag, or by their common name when a server does not flag them: many IMAP servers (and
 * mailboxes migrated into them before) have a plain top-level "Sent Items" or "Spam".
 */
import type { FolderInfo, SpecialUse } from './connector.js';

/** RFC 3501 §5.1: INBOX is the one name every IMAP server knows, in any case. */
export const INBOX = 'INBOX';

/** Top-level names read as a special use when the server does not flag the folder, lower-cased. */
const COMMON_NAMES: ReadonlyMap<string, SpecialUse> = new Map<string, SpecialUse>([
  ['inbox', 'inbox'],
  ['sent', 'sent'],
  ['sent items', 'sent'],
  ['sent messages', 'sent'],
  ['sent mail', 'sent'],
  ['drafts', 'drafts'],
  ['draft', 'drafts'],
  ['trash', 'trash'],
  ['deleted items', 'trash'],
  ['deleted messages', 'trash'],
  ['junk', 'junk'],
  ['junk e-mail', 'junk'],
  ['junk email', 'junk'],
  ['spam', 'junk'],
  ['archive', 'archive'],
  ['archives', 'archive'],
]);

export interface SpecialFolders {
  /** The destination's name for INBOX (Exchange says "Inbox"). */
  inbox: string;
  /** Destination path segments of each special folder it has, other than INBOX. */
  byUse: Map<SpecialUse, string[]>;
}

/** The special use of the folder at `segments`: its flag, else its name if it is top-level. */
export function findSpecialUse(segments: string[], flagged: SpecialUse | undefined): SpecialUse | undefined {
  if (flagged !== undefined) return flagged;
  return segments.length === 1 ? COMMON_NAMES.get(segments[0]!.toLowerCase()) : undefined;
}

/** A flag beats a common name; among equals the shallowest, then the first listed, wins. */
export function specialFoldersOf(folders: FolderInfo[]): SpecialFolders {
  const byUse = new Map<SpecialUse, string[]>();
  let inbox: string | undefined;
  const consider = (use: SpecialUse | undefined, folder: FolderInfo): void => {
    if (use === undefined) return;
    if (use === 'inbox') {
      if (inbox === undefined && folder.segments.length === 1) inbox = folder.segments[0];
      return;
    }
    const current = byUse.get(use);
    if (!current || folder.segments.length < current.length) byUse.set(use, [...folder.segments]);
  };
  for (const folder of folders) consider(folder.specialUse, folder);
  const flaggedUses = new Set(byUse.keys());
  const flaggedInbox = inbox !== undefined;
  for (const folder of folders) {
    if (folder.specialUse !== undefined || folder.segments.length !== 1) continue;
    const use = findSpecialUse(folder.segments, undefined);
    if (use === 'inbox' ? flaggedInbox : use !== undefined && flaggedUses.has(use)) continue;
    consider(use, folder);
  }
  return { inbox: inbox ?? INBOX, byUse };
}
