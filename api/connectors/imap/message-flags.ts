/**
 * Flags of messages already copied, at the destination: read them (`UID FETCH … (FLAGS)`) and
 * change them (`UID STORE … +FLAGS.SILENT / -FLAGS.SILENT`), so a delta pass carries flag and
 * keyword changes made at the source after the copy. Destination ids are `${uidValidity}:${uid}`;
 * ids of another UIDVALIDITY name messages that no longer exist and are left alone.
 */
import type { ImapFlow } from 'imapflow';
import type { FlagChange } from '../../core/connector.js';
import { storableFlags } from './imap-syntax.js';
import { toSequenceSet } from './list-messages.js';

/** Above this many ids one `1:*` FETCH is cheaper than a long UID set. */
const WHOLE_FOLDER_FROM = 1_000;

export async function readFlags(client: ImapFlow, path: string, destIds: string[]): Promise<Map<string, string[]>> {
  const mailbox = await client.mailboxOpen(path);
  const uidValidity = String(mailbox.uidValidity);
  const uids = uidsOf(destIds, uidValidity);
  const flags = new Map<string, string[]>();
  if (uids.length === 0 || mailbox.exists === 0) return flags;
  const wanted = new Set(uids);
  const range = uids.length >= WHOLE_FOLDER_FROM ? '1:*' : toSequenceSet(uids);
  for await (const msg of client.fetch(range, { uid: true, flags: true }, { uid: true })) {
    if (wanted.has(msg.uid)) flags.set(`${uidValidity}:${msg.uid}`, [...(msg.flags ?? [])]);
  }
  return flags;
}

/** One STORE per distinct change (most changes are the same few: \Seen added, \Flagged removed). */
export async function updateFlags(client: ImapFlow, path: string, changes: FlagChange[]): Promise<void> {
  const mailbox = await client.mailboxOpen(path);
  const uidValidity = String(mailbox.uidValidity);
  // RFC 3501 §7.1: PERMANENTFLAGS lists what survives the session; `\*` allows any new keyword.
  const permanent = mailbox.permanentFlags;
  const keep = (flag: string) => !permanent || permanent.has('\\*') || permanent.has(flag);
  const groups = new Map<string, { add: string[]; remove: string[]; uids: number[] }>();
  for (const change of changes) {
    const [uid] = uidsOf([change.destId], uidValidity);
    const add = storableFlags(change.add).filter(keep).sort();
    const remove = storableFlags(change.remove).sort();
    if (uid === undefined || add.length + remove.length === 0) continue;
    const key = JSON.stringify([add, remove]);
    const group = groups.get(key) ?? { add, remove, uids: [] };
    group.uids.push(uid);
    groups.set(key, group);
  }
  for (const { add, remove, uids } of groups.values()) {
    const range = toSequenceSet(uids.sort((a, b) => a - b));
    if (add.length) await client.messageFlagsAdd(range, add, { uid: true, silent: true });
    if (remove.length) await client.messageFlagsRemove(range, remove, { uid: true, silent: true });
  }
}

function uidsOf(destIds: string[], uidValidity: string): number[] {
  const uids: number[] = [];
  for (const id of destIds) {
    const [validity, uid] = id.split(':');
    if (validity === uidValidity && uid && /^\d+$/.test(uid)) uids.push(Number(uid));
  }
  return uids.sort((a, b) => a - b);
}
