/**
 * One logged-in mailbox over IMAP: a thin facade over one file per operation. It holds up to
 * three connections: imapflow for commands, a second imapflow for streaming large messages
 * (opened on first need), and our own pipelining writer for APPEND (opened on first need).
 */
import type { ImapFlow } from 'imapflow';
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
import { errorContext, openImapClient, type ImapAddress, type ImapLogin } from './connect.js';
import { appendPipeline, type PipelineOptions } from './append-pipeline.js';
import { ensureFolder, folderState } from './ensure-folder.js';
import type { ImapWire } from './imap-wire.js';
import { listChanges } from './list-changes.js';
import { listFolders } from './list-folders.js';
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
  private streaming?: Promise<ImapFlow>;
  private wire?: ImapWire;
  /** One APPEND pipeline at a time: two would interleave their literals on the one socket. */
  private appendQueue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ImapFlow,
    private readonly address: ImapAddress,
    private readonly login: ImapLogin,
    private readonly options: ImapSessionOptions,
  ) {}

  /** The inbox namespace's hierarchy separator (RFC 2342), '/' when the server has no NAMESPACE. */
  get separator(): string {
    return this.client.namespace?.delimiter || '/';
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.guard('listing folders', () => listFolders(this.client));
  }

  listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]> {
    return this.guard(`listing messages in "${folder.path}"`, () => listMessages(this.client, folder, filter));
  }

  listChanges(folder: FolderInfo, since?: { identity: string; cursor: string }): Promise<FolderChanges> {
    return this.guard(`listing changes in "${folder.path}"`, () => listChanges(this.client, folder, since));
  }

  readFlags(path: string, destIds: string[]): Promise<Map<string, string[]>> {
    return this.guard(`reading flags in "${path}"`, () => readFlags(this.client, path, destIds));
  }

  updateFlags(path: string, changes: FlagChange[]): Promise<void> {
    return this.guard(`updating flags in "${path}"`, () => updateFlags(this.client, path, changes));
  }

  readMessages(folder: FolderInfo, refs: MessageRef[]): AsyncIterable<ReadResult> {
    const mapError = (err: unknown): MailferryError => this.mapError(err, `reading messages in "${folder.path}"`);
    return this.guardIterable(mapError, () => readMessages(this.client, (f) => this.streamingClient(f), folder, refs, mapError, this.options.read));
  }

  ensureFolder(segments: string[]): Promise<{ path: string; state: DestinationFolderState }> {
    return this.guard(`creating folder "${segments.join(this.separator)}"`, () => ensureFolder(this.client, segments, this.separator));
  }

  folderState(path: string): Promise<DestinationFolderState> {
    return this.guard(`reading the state of "${path}"`, () => folderState(this.client, path));
  }

  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    const mapError = (err: unknown): MailferryError => this.mapError(err, `appending to "${path}"`);
    return this.guardIterable(mapError, () => this.appendExclusive(path, messages));
  }

  listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    return this.guard(`listing "${path}" from UID ${fromUid}`, () => listRange(this.client, path, fromUid));
  }

  async close(): Promise<void> {
    this.wire?.close();
    const streaming = this.streaming;
    this.streaming = undefined;
    await Promise.all([logout(this.client), streaming?.then(logout, () => undefined)]);
  }

  private async *appendExclusive(path: string, messages: AsyncIterable<SourceMessage>): AsyncGenerator<AppendResult> {
    const previous = this.appendQueue;
    let unlock!: () => void;
    this.appendQueue = new Promise((resolve) => (unlock = resolve));
    await previous;
    try {
      if (!this.wire || this.wire.closed) this.wire = await openLoggedInWire(this.address, this.login);
      yield* appendPipeline(this.wire, path, messages, this.options.pipeline);
    } finally {
      unlock();
    }
  }

  private async streamingClient(folder: FolderInfo): Promise<ImapFlow> {
    if (!this.streaming) {
      this.streaming = openImapClient(this.address, this.login);
      this.streaming.catch(() => (this.streaming = undefined));
    }
    const client = await this.streaming;
    if (!client.mailbox || client.mailbox.path !== folder.path) await client.mailboxOpen(folder.path, { readOnly: true });
    return client;
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

async function logout(client: ImapFlow): Promise<void> {
  try {
    if (client.usable) await client.logout();
  } catch {
    // Already gone; closing below is all that is left to do.
  } finally {
    client.close();
  }
}
