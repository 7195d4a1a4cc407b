/**
 * One folder's messages as refs: EXAMINE for UIDVALIDITY, then a single
 * `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)`, or a UID SEARCH first when dates filter.
 */
import type { ImapFlow } from 'imapflow';
import type { FolderInfo, ListMessagesFilter, MessageRef } from '../../core/connector.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `changedSince` (CONDSTORE, RFC 7162 §3.1.4.1): only messages whose mod-sequence is above it,
 * that is new messages and those whose flags changed since a listing that saw that HIGHESTMODSEQ.
 */
export async function listMessages(
  client: ImapFlow,
  folder: FolderInfo,
  filter: ListMessagesFilter = {},
  changedSince?: bigint,
): Promise<MessageRef[]> {
  if (folder.noSelect) return [];
  const mailbox = await client.mailboxOpen(folder.path, { readOnly: true });
  if (mailbox.exists === 0) return [];
  const uidValidity = Number(mailbox.uidValidity);

  let range = '1:*';
  if (filter.before !== undefined || filter.since !== undefined) {
    const uids = await searchByDate(client, filter);
    if (uids.length === 0) return [];
    range = toSequenceSet(uids);
  }
  const refs: MessageRef[] = [];
  for await (const msg of client.fetch(range, { uid: true, flags: true, internalDate: true, size: true }, { uid: true, changedSince })) {
    const internalDate = toEpoch(msg.internalDate);
    if (filter.before !== undefined && internalDate >= filter.before) continue;
    if (filter.since !== undefined && internalDate < filter.since) continue;
    refs.push({
      key: `${uidValidity}:${msg.uid}`,
      uid: msg.uid,
      size: msg.size ?? 0,
      internalDate,
      flags: [...(msg.flags ?? [])],
      itemType: 'mail',
    });
  }
  return refs.sort((a, b) => a.uid - b.uid);
}

/**
 * SEARCH BEFORE/SINCE compare dates only, in the server's time zone, ignoring time (RFC 3501
 * §6.4.4). So we widen by a day each way and let the exact epoch filter above decide.
 */
async function searchByDate(client: ImapFlow, filter: ListMessagesFilter): Promise<number[]> {
  const query: { before?: Date; since?: Date } = {};
  if (filter.before !== undefined) query.before = new Date(filter.before + DAY_MS);
  if (filter.since !== undefined) query.since = new Date(filter.since - DAY_MS);
  const found = await client.search(query, { uid: true });
  return found ? [...found].sort((a, b) => a - b) : [];
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

export function toEpoch(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  return (value instanceof Date ? value : new Date(value)).getTime();
}
