/**
 * What the destination holds from a UID on: `UID FETCH from:* (UID RFC822.SIZE INTERNALDATE)`.
 * The engine matches these against pending ledger entries after a crash (the UID floor it wrote
 * down before appending), so a redelivered job finds its own earlier writes.
 */
import type { DestinationEntry } from '../../core/connector.js';
import type { ImapWire } from './imap-wire.js';
import { fetchAttributes, openMailbox } from './wire-fetch.js';

export async function listRange(wire: ImapWire, path: string, fromUid: number): Promise<DestinationEntry[]> {
  const mailbox = await openMailbox(wire, path, true);
  if (mailbox.exists === 0) return [];
  const entries: DestinationEntry[] = [];
  const from = Math.max(1, Math.floor(fromUid));
  await fetchAttributes(wire, `UID FETCH ${from}:* (UID RFC822.SIZE INTERNALDATE)`, (msg) => {
    // RFC 3501 §6.4.8: `n:*` always includes the highest UID, even when it is below n.
    if (msg.uid === undefined || msg.uid < from || msg.internalDate === undefined) return;
    entries.push({ uid: msg.uid, size: msg.size ?? 0, internalDate: msg.internalDate });
  });
  return entries.sort((a, b) => a.uid - b.uid);
}
