/**
 * One folder's messages as refs, on our own connection (imap-wire.ts): EXAMINE for UIDVALIDITY,
 * then a single `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)`, or a UID SEARCH first when
 * dates filter.
 */
import type { FolderInfo, ListMessagesFilter, MessageRef } from '../../core/connector.js';
import type { ImapWire } from './imap-wire.js';
import { fetchAttributes, openMailbox, searchDate, uidSearch } from './wire-fetch.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `changedSince` (CONDSTORE, RFC 7162 §3.1.4.1): only messages whose mod-sequence is above it,
 * that is new messages and those whose flags changed since a listing that saw that HIGHESTMODSEQ.
 */
export async function listMessages(
  wire: ImapWire,
  folder: FolderInfo,
  filter: ListMessagesFilter = {},
  changedSince?: bigint,
): Promise<MessageRef[]> {
  if (folder.noSelect) return [];
  const mailbox = await openMailbox(wire, folder.path, true);
  if (mailbox.exists === 0) return [];
  const uidValidity = Number(mailbox.uidValidity);

  let range = '1:*';
  if (filter.before !== undefined || filter.since !== undefined) {
    const uids = await searchByDate(wire, filter);
    if (uids.length === 0) return [];
    range = toSequenceSet(uids);
  }
  const refs: MessageRef[] = [];
  const modifier = changedSince !== undefined ? ` (CHANGEDSINCE ${changedSince})` : '';
  await fetchAttributes(wire, `UID FETCH ${range} (UID FLAGS INTERNALDATE RFC822.SIZE)${modifier}`, (msg) => {
    // An unsolicited FETCH (a flag change another client made) carries no UID: not a listing.
    if (msg.uid === undefined || msg.internalDate === undefined) return;
    const internalDate = msg.internalDate;
    if (filter.before !== undefined && internalDate >= filter.before) return;
    if (filter.since !== undefined && internalDate < filter.since) return;
    refs.push({
      key: `${uidValidity}:${msg.uid}`,
      uid: msg.uid,
      size: msg.size ?? 0,
      internalDate,
      flags: msg.flags ?? [],
      itemType: 'mail',
    });
  });
  return refs.sort((a, b) => a.uid - b.uid);
}

/**
 * SEARCH BEFORE/SINCE compare dates only, in the server's time zone, ignoring time (RFC 3501
 * §6.4.4). So we widen by a day each way and let the exact epoch filter above decide.
 */
async function searchByDate(wire: ImapWire, filter: ListMessagesFilter): Promise<number[]> {
  const criteria: string[] = [];
  if (filter.since !== undefined) criteria.push(`SINCE ${searchDate(filter.since - DAY_MS)}`);
  if (filter.before !== undefined) criteria.push(`BEFORE ${searchDate(filter.before + DAY_MS)}`);
  return uidSearch(wire, criteria.join(' '));
}

/** `1,2,3,7,8` → `1:3,7:8`: keeps the command line short for long UID lists. */
export function toSequenceSet(sortedUids: number[]): string {
  const parts: string[] = [];
  let start = sortedUids[0]!;
  let prev = start;
  for (const uid of sortedUids.slice(1).concat([Number.NaN])) {
    if (uid === prev + 1) {
      prev = uid;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}:${prev}`);
    start = prev = uid;
  }
  return parts.join(',');
}
