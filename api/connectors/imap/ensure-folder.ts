/**
 * Destination folders: CREATE each missing level (parents first), then STATUS for the
 * UIDVALIDITY/UIDNEXT the ledger records before writing (RFC 4315 §3: UIDs are only comparable
 * within one UIDVALIDITY).
 */
import type { ImapFlow } from 'imapflow';
import type { DestinationFolderState } from '../../core/connector.js';
import { MailferryError, NotFoundError } from '../../core/errors.js';

export async function ensureFolder(
  client: ImapFlow,
  segments: string[],
  separator: string,
): Promise<{ path: string; state: DestinationFolderState }> {
  if (segments.length === 0) throw new MailferryError('validation', 'A destination folder needs at least one path segment.');
  const bad = segments.find((s) => s.length === 0 || s.includes(separator));
  if (bad !== undefined) {
    throw new MailferryError(
      'validation',
      `Folder segment "${bad}" is empty or contains the server's separator "${separator}"; map it to another name.`,
      { field: 'options.FolderMapping' },
    );
  }
  const path = segments.join(separator);
  const existing = new Set((await client.list()).map((f) => f.path));
  // RFC 3501 §6.3.3 lets a server create parents implicitly, but not all do (and some create them
  // \Noselect); creating each level ourselves gives the same result everywhere.
  for (let depth = 1; depth <= segments.length; depth++) {
    const level = segments.slice(0, depth).join(separator);
    if (existing.has(level) || (depth === 1 && level.toUpperCase() === 'INBOX')) continue;
    await createTolerant(client, level);
  }
  return { path, state: await folderState(client, path) };
}

async function createTolerant(client: ImapFlow, path: string): Promise<void> {
  try {
    await client.mailboxCreate(path);
  } catch (err) {
    // RFC 5530 §3 ALREADYEXISTS: another job (or a parallel pass) created it first; that is fine.
    if ((err as { serverResponseCode?: string }).serverResponseCode === 'ALREADYEXISTS') return;
    throw err;
  }
}

export async function folderState(client: ImapFlow, path: string): Promise<DestinationFolderState> {
  const missing = () => new NotFoundError(`Folder "${path}" does not exist on the destination.`);
  // imapflow answers a missing mailbox either with `false` or with a NO carrying the RFC 5530
  // NONEXISTENT code, depending on timing; both mean the same thing.
  const status = await client.status(path, { uidValidity: true, uidNext: true }).catch((err: { serverResponseCode?: string; responseText?: string }) => {
    if (err.serverResponseCode === 'NONEXISTENT' || /doesn.t exist|not exist/i.test(err.responseText ?? '')) return false as const;
    throw err;
  });
  if (!status) throw missing();
  return { uidValidity: Number(status.uidValidity), uidNext: Number(status.uidNext) };
}
