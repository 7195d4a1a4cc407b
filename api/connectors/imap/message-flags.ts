/**
 * Flags of messages already copied, at the destination, on our own connection: read them
 * (`UID FETCH … (FLAGS)`) and change them (`UID STORE … +FLAGS.SILENT / -FLAGS.SILENT`), so a
 * delta pass carries flag and keyword changes made at the source after the copy. Destination ids
 * are `${uidValidity}:${uid}`; ids of another UIDVALIDITY name messages that no longer exist and
 * are left alone.
 */
import type { FlagChange } from '../../core/connector.js';
import type { ImapWire } from './imap-wire.js';
import { storableFlags } from './imap-syntax.js';
import { toSequenceSet } from './list-messages.js';
import { throttledFromText } from './throttle.js';
import { fetchAttributes, openMailbox } from './wire-fetch.js';

/** Above this many ids one `1:*` FETCH is cheaper than a long UID set. */
const WHOLE_FOLDER_FROM = 1_000;

export async function readFlags(wire: ImapWire, path: string, destIds: string[]): Promise<Map<string, string[]>> {
  const mailbox = await openMailbox(wire, path, false);
  const uidValidity = String(mailbox.uidValidity);
  const uids = uidsOf(destIds, uidValidity);
  const flags = new Map<string, string[]>();
  if (uids.length === 0 || mailbox.exists === 0) return flags;
  const wanted = new Set(uids);
  const range = uids.length >= WHOLE_FOLDER_FROM ? '1:*' : toSequenceSet(uids);
  await fetchAttributes(wire, `UID FETCH ${range} (UID FLAGS)`, (msg) => {
    if (msg.uid !== undefined && msg.flags && wanted.has(msg.uid)) flags.set(`${uidValidity}:${msg.uid}`, msg.flags);
  });
  return flags;
}

/** One STORE per distinct change (most changes are the same few: \Seen added, \Flagged removed). */
export async function updateFlags(wire: ImapWire, path: string, changes: FlagChange[]): Promise<void> {
  const mailbox = await openMailbox(wire, path, false);
  const uidValidity = String(mailbox.uidValidity);
  // RFC 3501 §7.1: PERMANENTFLAGS lists what survives the session; `\*` allows any new keyword.
  const permanent = mailbox.permanentFlags;
  const keep = (flag: string) => !permanent || permanent.has('\\*') || hasFlag(permanent, flag);
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
  // Pipelined: every STORE is sent before the first answer comes back.
  const stores: Promise<void>[] = [];
  for (const { add, remove, uids } of groups.values()) {
    const range = toSequenceSet(uids.sort((a, b) => a - b));
    if (add.length) stores.push(store(wire, `UID STORE ${range} +FLAGS.SILENT (${add.join(' ')})`));
    if (remove.length) stores.push(store(wire, `UID STORE ${range} -FLAGS.SILENT (${remove.join(' ')})`));
  }
  await Promise.all(stores);
}

/**
 * A refused STORE (a flag the folder cannot keep after all, a message expunged meanwhile) leaves
 * those flags as they were, as imapflow did; a throttling answer or a lost connection is thrown.
 */
async function store(wire: ImapWire, command: string): Promise<void> {
  const response = await wire.run(command);
  if (response.status !== 'OK') {
    const throttled = throttledFromText(response.text, `${wire.where()}: UID STORE`);
    if (throttled) throw throttled;
  }
}

/** System flags compare without regard to case (RFC 3501 §2.3.2); keywords as servers list them. */
function hasFlag(set: Set<string>, flag: string): boolean {
  if (set.has(flag)) return true;
  const lower = flag.toLowerCase();
  for (const f of set) if (f.toLowerCase() === lower) return true;
  return false;
}

function uidsOf(destIds: string[], uidValidity: string): number[] {
  const uids: number[] = [];
  for (const id of destIds) {
    const [validity, uid] = id.split(':');
    if (validity === uidValidity && uid && /^\d+$/.test(uid)) uids.push(Number(uid));
  }
  return uids.sort((a, b) => a - b);
}
