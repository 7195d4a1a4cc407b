/**
 * Check 5: did Mailferry leave the destination identical to the source? Per folder (source
 * paths mapped to the destination's separator): the same count, and the same multiset of
 * (sha256 of the bytes, size, flags, internal date). Also plain counts for the other writers.
 */
import { ImapFlow } from 'imapflow';
import type { DovecotServer } from '../support/dovecot.js';
import { snapshotMailbox, type MailboxSnapshot, type SnapshotMessage } from '../support/mailbox-snapshot.js';
import { destPath } from './servers.js';

/** Differences listed in the report; more would drown the table. */
const MAX_DIFFERENCES = 20;

export interface Comparison {
  identical: boolean;
  folders: number;
  messages: number;
  differences: string[];
  seconds: number;
}

export async function compareMailboxes(
  source: { server: DovecotServer; user: string },
  destination: { server: DovecotServer; user: string },
): Promise<Comparison> {
  const started = performance.now();
  // Both reads at once: they hit two different Dovecots.
  const [from, to] = await Promise.all([
    snapshotMailbox(source.server, source.user),
    snapshotMailbox(destination.server, destination.user),
  ]);
  const differences = diffSnapshots(from, to, destination.server.separator);
  return {
    identical: differences.length === 0,
    folders: from.size,
    messages: [...from.values()].reduce((n, list) => n + list.length, 0),
    differences: differences.slice(0, MAX_DIFFERENCES),
    seconds: (performance.now() - started) / 1000,
  };
}

export function diffSnapshots(from: MailboxSnapshot, to: MailboxSnapshot, destSeparator: string): string[] {
  const differences: string[] = [];
  const expected = new Set<string>();
  for (const [sourcePath, messages] of from) {
    const path = destPath(sourcePath, destSeparator);
    expected.add(path);
    const copied = to.get(path);
    if (!copied) {
      differences.push(`${path}: missing at the destination (${messages.length} messages at the source)`);
      continue;
    }
    if (copied.length !== messages.length)
      differences.push(`${path}: ${messages.length} messages at the source, ${copied.length} at the destination`);
    const count = Math.min(copied.length, messages.length);
    for (let i = 0; i < count; i++) {
      const why = messageDifference(messages[i]!, copied[i]!);
      if (why) differences.push(`${path} #${i}: ${why}`);
    }
  }
  for (const [path, messages] of to) {
    if (!expected.has(path) && messages.length > 0)
      differences.push(`${path}: ${messages.length} messages at the destination, no such source folder`);
  }
  return differences;
}

function messageDifference(a: SnapshotMessage, b: SnapshotMessage): string | undefined {
  if (a.sha256 !== b.sha256)
    return `bytes differ (sha256 ${a.sha256.slice(0, 12)} vs ${b.sha256.slice(0, 12)}, ${a.size} vs ${b.size} bytes)`;
  if (a.internalDate !== b.internalDate)
    return `internal date ${new Date(a.internalDate).toISOString()} vs ${new Date(b.internalDate).toISOString()}`;
  if (a.flags.join(' ') !== b.flags.join(' ')) return `flags [${a.flags.join(' ')}] vs [${b.flags.join(' ')}]`;
  return undefined;
}

/** Messages per selectable folder, by STATUS: a cheap check that a writer copied everything. */
export async function countMessages(server: DovecotServer, user: string): Promise<number> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    logger: false,
    disableAutoIdle: true,
    auth: { user, pass: server.users[user]! },
  });
  await client.connect();
  try {
    let total = 0;
    for (const folder of await client.list({ statusQuery: { messages: true } })) {
      total += folder.status?.messages ?? 0;
    }
    return total;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
