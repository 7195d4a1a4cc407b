/**
 * What the destination holds from a UID on: `UID FETCH from:* (UID RFC822.SIZE INTERNALDATE)`.
 * The engine matches these against pending ledger entries after a crash (the UID floor it wrote
 * down before appending), so a redelivered job finds its own earlier writes.
 */
import type { ImapFlow } from 'imapflow';
import type { DestinationEntry } from '../../core/connector.js';
import { toEpoch } from './list-messages.js';

export async function listRange(client: ImapFlow, path: string, fromUid: number): Promise<DestinationEntry[]> {
  const mailbox = await client.mailboxOpen(path, { readOnly: true });
  if (mailbox.exists === 0) return [];
  const entries: DestinationEntry[] = [];
  const from = Math.max(1, Math.floor(fromUid));
  for await (const msg of client.fetch(`${from}:*`, { uid: true, size: true, internalDate: true }, { uid: true })) {
    // RFC 3501 §6.4.8: `n:*` always includes the highest UID, even when it is below n.
    if (msg.uid < from) continue;
    entries.push({ uid: msg.uid, size: msg.size ?? 0, internalDate: toEpoch(msg.internalDate) });
  }
  return entries.sort((a, b) => a.uid - b.uid);
}
