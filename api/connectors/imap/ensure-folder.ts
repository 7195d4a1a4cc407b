/**
 * Destination folders: CREATE what is missing (see createWithParents), then STATUS for the
 * UIDVALIDITY/UIDNEXT the ledger records before writing (RFC 4315 §3: UIDs are only comparable
 * within one UIDVALIDITY).
 */
import type { ImapFlow } from 'imapflow';
import type { DestinationFolderState } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, NotFoundError } from '../../core/errors.js';

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
  if (!existing.has(path)) await createWithParents(client, segments, separator, existing);
  return { path, state: await folderState(client, path) };
}

/**
 * RFC 3501 §6.3.3: a server SHOULD create the superior names a CREATE needs. Dovecot, Cyrus and
 * most others make them hierarchy-only names (\Noselect, \NonExistent), which is what a source
 * container was, so missing parents are left to the server. Only if it refuses do we create each
 * level ourselves (they then become real, empty folders: the best such a server allows).
 */
async function createWithParents(client: ImapFlow, segments: string[], separator: string, existing: Set<string>): Promise<void> {
  const path = segments.join(separator);
  const levels = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join(separator));
  const missing = levels.filter((level, i) => !existing.has(level) && !(i === 0 && level.toUpperCase() === 'INBOX'));
  if (missing.length === 0) return createTolerant(client, path);
  try {
    return await createTolerant(client, path);
  } catch {
    for (const level of missing) await createTolerant(client, level);
    await createTolerant(client, path);
  }
}

async function createTolerant(client: ImapFlow, path: string): Promise<void> {
  try {
    await client.mailboxCreate(path);
  } catch (err) {
    // RFC 5530 §3 ALREADYEXISTS: another job (or a parallel pass) created it first; that is fine.
    const e = err as { serverResponseCode?: string; responseStatus?: string; responseText?: string };
    if (e.serverResponseCode === 'ALREADYEXISTS') return;
    // A tagged NO refuses this one name (a character the server does not take, a length limit):
    // the folder is refused, not the mailbox, so the engine can try another name or report it.
    if (e.responseStatus === 'NO') throw new ItemRejectedError(`The server refused to create folder "${path}": ${e.responseText ?? 'NO'}`, { cause: err });
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
