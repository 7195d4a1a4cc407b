/**
 * A MailboxSession kept in memory: the connector contract with nothing behind it, so the copy
 * engine, recovery and the pass service can be tested in milliseconds, and the connector
 * conformance suite has a reference to hold every real connector to. It keeps what IMAP keeps
 * (folders with UIDVALIDITY and UIDNEXT, bytes, flags, internal dates) and marks its writes with
 * the source key, as EWS does, so recovery pairs exactly.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type {
  AppendResult,
  DestinationEntry,
  DestinationFolderState,
  FolderInfo,
  ListMessagesFilter,
  MailboxSession,
  MessageRef,
  ReadOptions,
  SourceMessage,
} from '../../api/core/connector.js';
import { ItemTooLargeError, NotFoundError } from '../../api/core/errors.js';
import type { ItemType } from '../../api/core/model.js';

export interface StoredMessage {
  uid: number;
  bytes: Buffer;
  flags: string[];
  internalDate: number;
  /** The source key written with the item (a destination's mark). */
  sourceKey?: string;
}

interface StoredFolder {
  segments: string[];
  uidValidity: number;
  uidNext: number;
  itemType: ItemType;
  messages: StoredMessage[];
}

const SEPARATOR = '/';
/** Every key is `${uidValidity}:${uid}`, as IMAP's. */
const keyOf = (folder: StoredFolder, uid: number) => `${folder.uidValidity}:${uid}`;

/** A mailbox's folders, shared by every session opened on it (so a test can look behind the session). */
export class InMemoryMailbox {
  readonly folders = new Map<string, StoredFolder>();
  private nextUidValidity = 1;
  /** Messages larger than this are refused per item, like a server's size limit. */
  maxMessageBytes = Number.POSITIVE_INFINITY;
  /**
   * False: writes carry no source key, as IMAP's APPEND (recovery then pairs by size and date).
   * True: each write is marked with its source key, as EWS's extended property (paired exactly).
   */
  marksWrites = true;
  /** Faults a test injects: thrown from a read (a throttle, a dropped connection) or after a write was stored. */
  readonly faults: MailboxFaults = {};

  constructor(folders: string[] = ['INBOX']) {
    for (const path of folders) this.folder(path.split(SEPARATOR));
  }

  /** The folder at `segments`, created (with its parents) when missing. */
  folder(segments: string[], itemType: ItemType = 'mail'): StoredFolder {
    for (let depth = 1; depth < segments.length; depth++) this.folder(segments.slice(0, depth));
    const path = segments.join(SEPARATOR);
    let folder = this.folders.get(path);
    if (!folder) {
      folder = { segments, uidValidity: this.nextUidValidity++, uidNext: 1, itemType, messages: [] };
      this.folders.set(path, folder);
    }
    return folder;
  }

  /** Stores a message as a server would on APPEND; returns its uid. */
  add(path: string, bytes: Buffer, options: { flags?: string[]; internalDate?: number; sourceKey?: string } = {}): number {
    const folder = this.folder(path.split(SEPARATOR));
    const uid = folder.uidNext++;
    folder.messages.push({ uid, bytes, flags: options.flags ?? [], internalDate: options.internalDate ?? 0, sourceKey: options.sourceKey });
    return uid;
  }

  open(): InMemorySession {
    return new InMemorySession(this);
  }
}

export interface MailboxFaults {
  /** Thrown instead of reading `ref` (the whole read fails, as a throttled or dropped connection's does). */
  read?(ref: MessageRef): Error | undefined;
  /**
   * Called once a write is stored and before the session confirms it: what it throws is the
   * connection lost after the server kept the message; a promise that never settles is a process
   * frozen (or killed) between the destination's write and the ledger's.
   */
  afterStore?(ref: MessageRef, stored: number): Promise<void> | void;
}

export class InMemorySession implements MailboxSession {
  readonly kind = 'imap' as const;
  readonly accepts = ['rfc822'] as const;
  closed = false;

  constructor(readonly mailbox: InMemoryMailbox) {}

  async listFolders(): Promise<FolderInfo[]> {
    return [...this.mailbox.folders.entries()].map(([path, f]) => ({
      path,
      segments: f.segments,
      separator: SEPARATOR,
      noSelect: false,
      itemType: f.itemType,
      ...(path === 'INBOX' ? { specialUse: 'inbox' as const } : {}),
    }));
  }

  async listMessages(folder: FolderInfo, filter: ListMessagesFilter = {}): Promise<MessageRef[]> {
    const stored = this.existing(folder.path);
    return stored.messages
      .filter(
        (m) =>
          (filter.before === undefined || m.internalDate < filter.before) && (filter.since === undefined || m.internalDate >= filter.since),
      )
      .map((m) => refOf(stored, m));
  }

  async *readMessages(
    folder: FolderInfo,
    refs: MessageRef[],
    _options?: ReadOptions,
  ): AsyncIterable<SourceMessage | { ref: MessageRef; error: Error }> {
    const stored = this.existing(folder.path);
    for (const ref of refs) {
      const fault = this.mailbox.faults.read?.(ref);
      if (fault) throw fault;
      const message = stored.messages.find((m) => keyOf(stored, m.uid) === ref.key);
      if (!message) yield { ref, error: new NotFoundError(`Message ${ref.key} is no longer in "${folder.path}".`) };
      else yield { ref: refOf(stored, message), format: 'rfc822', content: message.bytes };
    }
  }

  async ensureFolder(segments: string[], itemType?: ItemType): Promise<{ path: string; state: DestinationFolderState }> {
    const folder = this.mailbox.folder(segments, itemType);
    return { path: segments.join(SEPARATOR), state: stateOf(folder) };
  }

  async folderState(path: string): Promise<DestinationFolderState> {
    return stateOf(this.existing(path));
  }

  async *appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    const folder = this.existing(path);
    let stored = 0;
    for await (const message of messages) {
      const bytes = Buffer.isBuffer(message.content) ? message.content : await buffer(await message.content());
      if (bytes.length > this.mailbox.maxMessageBytes) {
        yield {
          ref: message.ref,
          error: new ItemTooLargeError(`The message is ${bytes.length} bytes; this mailbox takes at most ${this.mailbox.maxMessageBytes}.`),
        };
        continue;
      }
      const sourceKey = this.mailbox.marksWrites ? message.ref.key : undefined;
      const uid = this.mailbox.add(path, bytes, { flags: message.ref.flags, internalDate: message.ref.internalDate, sourceKey });
      await this.mailbox.faults.afterStore?.(message.ref, ++stored);
      yield { ref: message.ref, destId: keyOf(folder, uid) };
    }
  }

  async listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    const folder = this.existing(path);
    return folder.messages
      .filter((m) => m.uid >= fromUid)
      .map((m) => ({
        uid: m.uid,
        size: m.bytes.length,
        internalDate: m.internalDate,
        destId: keyOf(folder, m.uid),
        ...(m.sourceKey ? { sourceKey: m.sourceKey } : {}),
      }));
  }

  async markRecovered(path: string, pairs: { destId: string; sourceKey: string }[]): Promise<void> {
    const folder = this.existing(path);
    for (const { destId, sourceKey } of pairs) {
      const message = folder.messages.find((m) => keyOf(folder, m.uid) === destId);
      if (message) message.sourceKey = sourceKey;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private existing(path: string): StoredFolder {
    const folder = this.mailbox.folders.get(path);
    if (!folder) throw new NotFoundError(`There is no folder "${path}" in this mailbox.`);
    return folder;
  }
}

function refOf(folder: StoredFolder, m: StoredMessage): MessageRef {
  return {
    key: keyOf(folder, m.uid),
    uid: m.uid,
    size: m.bytes.length,
    internalDate: m.internalDate,
    flags: [...m.flags],
    itemType: folder.itemType,
  };
}

function stateOf(folder: StoredFolder): DestinationFolderState {
  return { uidValidity: folder.uidValidity, uidNext: folder.uidNext };
}

/** A message whose content is read on demand, as a source hands on a large one. */
export function streamedMessage(ref: MessageRef, bytes: Buffer): SourceMessage {
  return { ref, format: 'rfc822', content: async () => Readable.from([bytes]) };
}
