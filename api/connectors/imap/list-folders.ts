/**
 * LIST with SPECIAL-USE: every folder, decoded to Unicode, split on the server's separator. Where
 * the server has LIST-STATUS the same LIST brings each folder's UIDVALIDITY, UIDNEXT, MESSAGES and
 * HIGHESTMODSEQ, kept by the session for the delta's cursor check and the destination's state.
 */
import type { FolderInfo, SpecialUse } from '../../core/connector.js';
import type { FolderDirectory } from './ensure-folder.js';
import type { ImapWire } from './imap-wire.js';
import { listMailboxes, type StatusItem } from './wire-commands.js';

/** What a delta's cursor (list-changes.ts) and a destination folder's state (ensure-folder.ts) need. */
const LISTED_STATUS: StatusItem[] = ['UIDVALIDITY', 'UIDNEXT', 'MESSAGES', 'HIGHESTMODSEQ'];

/** RFC 6154 §2 attributes; `\All` and `\Flagged` are virtual on most servers but still typed. */
const SPECIAL_USE_FLAGS: Record<string, SpecialUse> = {
  '\\sent': 'sent',
  '\\drafts': 'drafts',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\all': 'all',
  '\\flagged': 'flagged',
};

/** Servers without SPECIAL-USE (Exchange's IMAP, older Courier) name these folders by convention. */
const SPECIAL_USE_NAMES: Record<string, SpecialUse> = {
  sent: 'sent',
  'sent items': 'sent',
  'sent messages': 'sent',
  'sent mail': 'sent',
  drafts: 'drafts',
  trash: 'trash',
  'deleted items': 'trash',
  'deleted messages': 'trash',
  junk: 'junk',
  'junk e-mail': 'junk',
  'junk email': 'junk',
  spam: 'junk',
  archive: 'archive',
};

export async function listFolders(wire: ImapWire, directory: FolderDirectory): Promise<FolderInfo[]> {
  const listed = await listMailboxes(wire, LISTED_STATUS);
  directory.remember(listed);
  return listed.map(toFolderInfo).sort((a, b) => a.path.localeCompare(b.path));
}

/** One LIST entry: its path (decoded), hierarchy delimiter (null: a flat namespace) and attributes. */
export interface ListedFolder {
  path: string;
  delimiter: string | null;
  flags: Set<string>;
}

export function toFolderInfo(entry: ListedFolder): FolderInfo {
  // A NIL delimiter (RFC 3501 §7.2.2) means a flat namespace: one segment.
  const separator = entry.delimiter || '/';
  const segments = entry.delimiter ? entry.path.split(entry.delimiter) : [entry.path];
  const flags = new Set([...entry.flags].map((f) => f.toLowerCase()));
  // \NonExistent (RFC 5258 §3.4) implies \Noselect; both mean "a container only".
  const noSelect = flags.has('\\noselect') || flags.has('\\nonexistent');
  return { path: entry.path, segments, separator, specialUse: specialUseOf(segments, flags), noSelect };
}

function specialUseOf(segments: string[], flags: Set<string>): SpecialUse | undefined {
  if (segments.length === 1 && segments[0]!.toUpperCase() === 'INBOX') return 'inbox';
  for (const flag of flags) {
    const use = SPECIAL_USE_FLAGS[flag];
    if (use) return use;
  }
  // Only top-level names (or directly under INBOX, as Courier and Cyrus lay them out) count:
  // `Projects/Sent` is a user's folder, not the Sent folder.
  const topLevel = segments.length === 1 || (segments.length === 2 && segments[0]!.toUpperCase() === 'INBOX');
  return topLevel ? SPECIAL_USE_NAMES[segments[segments.length - 1]!.toLowerCase()] : undefined;
}
