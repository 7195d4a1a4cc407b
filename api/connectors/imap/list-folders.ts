/**
 * LIST with SPECIAL-USE: every folder, decoded to Unicode, split on the server's separator.
 */
import type { ImapFlow, ListResponse } from 'imapflow';
import type { FolderInfo, SpecialUse } from '../../core/connector.js';

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
  'sent': 'sent',
  'sent items': 'sent',
  'sent messages': 'sent',
  'sent mail': 'sent',
  'drafts': 'drafts',
  'trash': 'trash',
  'deleted items': 'trash',
  'deleted messages': 'trash',
  'junk': 'junk',
  'junk e-mail': 'junk',
  'junk email': 'junk',
  'spam': 'junk',
  'archive': 'archive',
};

export async function listFolders(client: ImapFlow): Promise<FolderInfo[]> {
  // imapflow asks for SPECIAL-USE attributes in LIST when the server has it (RFC 6154 §5).
  const listed = await client.list();
  return listed.map(toFolderInfo).sort((a, b) => a.path.localeCompare(b.path));
}

export function toFolderInfo(entry: ListResponse): FolderInfo {
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
