/**
 * Destination folders: CREATE what is missing (see createWithParents), then the
 * UIDVALIDITY/UIDNEXT the ledger records before writing (RFC 4315 §3: UIDs are only comparable
 * within one UIDVALIDITY). The folders are listed once per session (FolderDirectory), not once
 * per folder: a delta over 16 folders made 16 LISTs of the whole mailbox.
 */
import type { DestinationFolderState } from '../../core/connector.js';
import { ItemRejectedError, MailferryError } from '../../core/errors.js';
import type { ImapWire } from './imap-wire.js';
import { createMailbox, listMailboxes, statusOf, type WireMailbox, type WireNamespace } from './wire-commands.js';

/**
 * What a session knows of its folders from its last LIST (with LIST-STATUS, their state too).
 * A folder's state is forgotten once the session appends to it, so a UID floor recorded for
 * crash recovery is never older than this session's own writes.
 */
export class FolderDirectory {
  private folders?: Map<string, WireMailbox>;

  constructor(
    private readonly wire: () => Promise<ImapWire>,
    private readonly namespace: WireNamespace,
  ) {}

  remember(listed: WireMailbox[]): void {
    this.folders = new Map(listed.map((mailbox) => [mailbox.path, mailbox]));
  }

  /** The listed STATUS of a folder, handed out once (a second asker gets a fresh STATUS). */
  takeStatus(path: string): WireMailbox['status'] {
    const mailbox = this.folders?.get(path);
    const status = mailbox?.status;
    if (mailbox) mailbox.status = undefined;
    return status;
  }

  forgetState(path: string): void {
    const mailbox = this.folders?.get(path);
    if (mailbox) mailbox.status = undefined;
  }

  async ensure(segments: string[], separator: string): Promise<{ path: string; state: DestinationFolderState }> {
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
    if (!this.folders) this.remember(await listMailboxes(await this.wire()));
    const folders = this.folders!;
    const known = folders.get(path);
    if (!known) {
      await this.createWithParents(segments, separator, new Set(folders.keys()));
      folders.set(path, { path, delimiter: separator, flags: new Set() });
    }
    const listed = this.takeStatus(path);
    if (listed?.uidValidity !== undefined && listed.uidNext !== undefined)
      return { path, state: { uidValidity: listed.uidValidity, uidNext: listed.uidNext } };
    return { path, state: await this.state(path) };
  }

  async state(path: string): Promise<DestinationFolderState> {
    const status = await statusOf(await this.wire(), path, ['UIDVALIDITY', 'UIDNEXT']);
    return { uidValidity: status.uidValidity ?? 0, uidNext: status.uidNext ?? 1 };
  }

  /**
   * RFC 3501 §6.3.3: a server SHOULD create the superior names a CREATE needs. Dovecot, Cyrus and
   * most others make them hierarchy-only names (\Noselect, \NonExistent), which is what a source
   * container was, so missing parents are left to the server. Only if it refuses do we create each
   * level ourselves (they then become real, empty folders: the best such a server allows).
   */
  private async createWithParents(segments: string[], separator: string, existing: Set<string>): Promise<void> {
    const path = segments.join(separator);
    const levels = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join(separator));
    const missing = levels.filter((level, i) => !existing.has(level) && !(i === 0 && level.toUpperCase() === 'INBOX'));
    if (missing.length === 0) return this.createTolerant(path);
    try {
      return await this.createTolerant(path);
    } catch {
      for (const level of missing) await this.createTolerant(level);
      await this.createTolerant(path);
    }
  }

  private async createTolerant(path: string): Promise<void> {
    // As imapflow did: a server with a personal namespace prefix (`INBOX.` on Courier) gets it.
    const { prefix } = this.namespace;
    const named = prefix && path.toUpperCase() !== 'INBOX' && !path.startsWith(prefix) ? prefix + path : path;
    const response = await createMailbox(await this.wire(), named);
    // RFC 5530 §3 ALREADYEXISTS: another job (or a parallel pass) created it first; that is fine.
    if (response.status === 'OK' || response.code === 'ALREADYEXISTS') return;
    // A refusal of this one name (a character the server does not take, a length limit): the
    // folder is refused, not the mailbox, so the engine can try another name or report it.
    throw new ItemRejectedError(
      `The server refused to create folder "${path}": ${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim(),
    );
  }
}
