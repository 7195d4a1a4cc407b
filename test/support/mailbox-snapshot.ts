/**
 * Reads a whole mailbox back from a real server, for asserting what a pass left behind:
 * per folder, each message's sha256, flags (without \Recent) and internal date.
 */
import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { expect } from 'vitest';
import type { DovecotServer } from './dovecot.js';
import type { MigrationFixture } from './migration-fixture.js';

export interface SnapshotMessage {
  sha256: string;
  size: number;
  flags: string[];
  internalDate: number;
}

export type MailboxSnapshot = Map<string, SnapshotMessage[]>;

export async function snapshotMailbox(server: DovecotServer, user: string): Promise<MailboxSnapshot> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    logger: false,
    disableAutoIdle: true,
    auth: { user: server.masterUser, pass: server.masterPassword, authzid: user },
  });
  await client.connect();
  const snapshot: MailboxSnapshot = new Map();
  try {
    for (const folder of await client.list()) {
      if (folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) continue;
      const lock = await client.getMailboxLock(folder.path);
      const messages: SnapshotMessage[] = [];
      try {
        const mailbox = client.mailbox;
        if (mailbox && mailbox.exists > 0) {
          for await (const m of client.fetch('1:*', { source: true, flags: true, internalDate: true })) {
            messages.push({
              sha256: createHash('sha256').update(m.source!).digest('hex'),
              size: m.source!.length,
              flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
              internalDate: new Date(m.internalDate!).getTime(),
            });
          }
        }
      } finally {
        lock.release();
      }
      messages.sort((a, b) => a.sha256.localeCompare(b.sha256) || a.internalDate - b.internalDate);
      snapshot.set(folder.path, messages);
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return snapshot;
}

/** Folder path → message count, for readable assertions. */
export function countsOf(snapshot: MailboxSnapshot): Record<string, number> {
  return Object.fromEntries([...snapshot].map(([path, messages]) => [path, messages.length]));
}

/** Each source folder's messages (content, flags, dates) are exactly those of its destination folder: nothing lost, nothing twice. */
export async function expectIdentical(
  fx: Pick<MigrationFixture, 'source' | 'destination'>,
  sourceUser: string,
  destUser: string,
  folders: Record<string, string>,
): Promise<void> {
  const source = await snapshotMailbox(fx.source, sourceUser);
  const dest = await snapshotMailbox(fx.destination, destUser);
  for (const [from, to] of Object.entries(folders)) expect(dest.get(to), `destination ${to}`).toEqual(source.get(from));
}
