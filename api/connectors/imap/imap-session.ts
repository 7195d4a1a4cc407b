/**
 * One logged-in mailbox over IMAP: a thin facade over one file per operation, all on one
 * connection of our own (imap-wire.ts): folders (LIST, STATUS, CREATE), listings and flags
 * (SELECT/EXAMINE, UID FETCH, UID SEARCH, UID STORE), pipelined reads with large messages
 * streamed in parts, and pipelined APPEND. imapflow is not loaded by a session.
 */
import type {
  AppendResult,
  DestinationEntry,
  DestinationFolderState,
  FlagChange,
  FolderChanges,
  FolderInfo,
  ListMessagesFilter,
  MailboxSession,
  MessageRef,
  SourceMessage,
} from '../../core/connector.js';
import type { MailferryError } from '../../core/errors.js';
import { errorContext, type ImapAddress, type ImapLogin } from './connect.js';
import { appendPipeline, type PipelineOptions } from './append-pipeline.js';
import { FolderDirectory } from './ensure-folder.js';
import type { ImapWire } from './imap-wire.js';
import { listChanges } from './list-changes.js';
import { listFolders } from './list-folders.js';
import type { WireNamespace } from './wire-commands.js';
import { listMessages } from './list-messages.js';
import { listRange } from './list-range.js';
import { toImapError } from './map-error.js';
import { readFlags, updateFlags } from './message-flags.js';
import { readMessages, type ReadOptions, type ReadResult } from './read-messages.js';
import { openLoggedInWire } from './wire-login.js';

export interface ImapSessionOptions {
  read: ReadOptions;
  pipeline: PipelineOptions;
}

export class ImapSession implements MailboxSession {
  readonly kind = 'imap' as const;
  private readonly folders: FolderDirectory;
  /** One APPEND pipeline at a time: two would interleave their literals on the one socket. */
  private appendQueue: Promise<void> = Promise.resolve();

  constructor(
    private wire: ImapWire,
    private readonly namespace: WireNamespace,
    private readonly address: ImapAddress,
    private readonly login: ImapLogin,
    private readonly options: ImapSessionOptions,
  ) {
    this.folders = new FolderDirectory(() => this.liveWire(), namespace);
  }

  /** The inbox namespace's hierarchy separator (RFC 2342), '/' when the server names none. */
  get separator(): string {
    return this.namespace.delimiter || '/';
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.guard('listing folders', async () => listFolders(await this.liveWire(), this.folders));
  }

  listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]> {
    return this.guard(`listing messages in "${folder.path}"`, async () => listMessages(await this.liveWire(), folder, filter));
  }

  listChanges(folder: FolderInfo, since?: { identity: string; cursor: string }): Promise<FolderChanges> {
    return this.guard(`listing changes in "${folder.path}"`, async () => listChanges(await this.liveWire(), this.folders, folder, since));
  }

  readFlags(path: string, destIds: string[]): Promise<Map<string, string[]>> {
    return this.guard(`reading flags in "${path}"`, async () => readFlags(await this.liveWire(), path, destIds));
  }

  updateFlags(path: string, changes: FlagChange[]): Promise<void> {
    return this.guard(`updating flags in "${path}"`, async () => updateFlags(await this.liveWire(), path, changes));
  }

  readMessages(folder: FolderInfo, refs: MessageRef[]): AsyncIterable<ReadResult> {
    const mapError = (err: unknown): MailferryError => this.mapError(err, `reading messages in "${folder.path}"`);
    return this.guardIterable(
      mapError,
      async function* (this: ImapSession) {
        if (refs.length === 0) return;
        yield* readMessages(await this.liveWire(), () => this.liveWire(), folder, refs, mapError, this.options.read);
      }.bind(this),
    );
  }

  ensureFolder(segments: string[]): Promise<{ path: string; state: DestinationFolderState }> {
    return this.guard(`creating folder "${segments.join(this.separator)}"`, () => this.folders.ensure(segments, this.separator));
  }

  folderState(path: string): Promise<DestinationFolderState> {
    return this.guard(`reading the state of "${path}"`, () => this.folders.state(path));
  }

  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    const mapError = (err: unknown): MailferryError => this.mapError(err, `appending to "${path}"`);
    this.folders.forgetState(path);
    return this.guardIterable(mapError, () => this.appendExclusive(path, messages));
  }

  listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    return this.guard(`listing "${path}" from UID ${fromUid}`, async () => listRange(await this.liveWire(), path, fromUid));
  }

  async close(): Promise<void> {
    this.wire.close();
  }

  private async *appendExclusive(path: string, messages: AsyncIterable<SourceMessage>): AsyncGenerator<AppendResult> {
    const previous = this.appendQueue;
    let unlock!: () => void;
    this.appendQueue = new Promise((resolve) => (unlock = resolve));
    await previous;
    try {
      yield* appendPipeline(await this.liveWire(), path, messages, this.options.pipeline);
    } finally {
      unlock();
    }
  }

  /** Our own connection, logged in again if it was lost (a broken APPEND literal drops it on purpose). */
  private async liveWire(): Promise<ImapWire> {
    if (this.wire.closed) this.wire = await openLoggedInWire(this.address, this.login);
    return this.wire;
  }

  private mapError(err: unknown, action: string): MailferryError {
    return toImapError(err, errorContext(this.address, this.login, action));
  }

  private async guard<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.mapError(err, action);
    }
  }

  private async *guardIterable<T>(mapError: (err: unknown) => MailferryError, run: () => AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* run();
    } catch (err) {
      throw mapError(err);
    }
  }
}
