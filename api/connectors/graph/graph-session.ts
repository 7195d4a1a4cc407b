/**
 * One Exchange Online mailbox over Microsoft Graph: a thin facade over one file per operation
 * (folders, list-items, export-items, import-items, import-session). Folder paths are display
 * names joined by '/'; the session keeps path → folder id and, per folder, the delta link of its
 * last listing.
 */
import type {
  AppendResult,
  ContentFormat,
  DestinationEntry,
  DestinationFolderState,
  FolderChanges,
  FolderInfo,
  ListMessagesFilter,
  MailboxSession,
  MessageRef,
  MailboxSetting,
  ReadOptions,
  SettingResult,
  SourceMessage,
} from '../../core/connector.js';
import { exportGraphSettings, importGraphSettings } from './settings.js';
import type { ItemType } from '../../core/model.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { hash31 } from '../folder-index.js';
import type { GraphContext } from './context.js';
import { readMessages, type ReadResult } from './export-items.js';
import { type GraphFolder, type GraphFolderIndex, ensureFolder, folderIdByPath, listFolders } from './folders.js';
import { appendMessages } from './import-items.js';
import { ImportSessions } from './import-session.js';
import { type FolderSync, entriesOf, listChanges, refsOf, syncFolder } from './list-items.js';

/** Items created up to this long before the floor still count as after it (Date headers have whole seconds). */
const FLOOR_SLACK_S = 2;

export interface GraphSessionOptions {
  /**
   * Offer importItem the EWS export stream of Exchange on premises (support option
   * EwsStreamToGraph, `try` by default). Microsoft has not said whether Exchange Online takes it:
   * a refusal is reported as `formatRefused` and the engine sends that item, and the rest of the
   * mailbox, as MIME.
   */
  offerEwsExport?: boolean;
  /** RecipientMapping: the users calendar permissions name, as the destination knows them. */
  recipientMappings?: readonly RecipientMappingRule[];
}

export class GraphSession implements MailboxSession {
  readonly kind = 'm365' as const;
  private readonly offered: readonly ContentFormat[];
  /** Streams this mailbox's importItem refused (an on-premises EWS stream): no longer offered. */
  private readonly refused = new Map<ContentFormat, Error>();
  /** No marker rides on a Graph import (docs/endpoints.md: crash safety over Graph): each write is committed at once, leaving recovery only what was in flight. */
  readonly commitEachWrite = true;
  readonly sessions: ImportSessions;
  private index?: GraphFolderIndex;
  private readonly syncs = new Map<string, FolderSync>();

  constructor(
    readonly ctx: GraphContext,
    private readonly options: GraphSessionOptions = {},
  ) {
    this.sessions = new ImportSessions(ctx);
    this.offered = options.offerEwsExport ? ['graph-export', 'ews-export', 'rfc822'] : ['graph-export', 'rfc822'];
  }

  get accepts(): readonly ContentFormat[] {
    return this.offered.filter((f) => !this.refused.has(f));
  }

  /** Requests sent so far (retries included), for tests and diagnostics. */
  get requests(): number {
    return this.ctx.transport.requests;
  }

  async listFolders(): Promise<FolderInfo[]> {
    return (await this.refresh()).all();
  }

  async listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]> {
    const id = await this.folderId(folder);
    const sync = await syncFolder(this.ctx, id, this.syncs.get(id));
    this.syncs.set(id, sync);
    return refsOf(sync, filter);
  }

  /**
   * The folder's changes since `since` (a delta link this connector handed out for this folder
   * id), or all its items. A cursor for another folder id (the folder was deleted and made again,
   * or the item now points at another mailbox) or another host is not followed.
   */
  async listChanges(folder: FolderInfo, since?: { identity: string; cursor: string }): Promise<FolderChanges> {
    const id = await this.folderId(folder);
    const link = since && since.identity === id && this.isOwnLink(since.cursor) ? since.cursor : undefined;
    const { sync, restarted } = await listChanges(this.ctx, id, link);
    return { refs: refsOf(sync), identity: id, cursor: sync.deltaLink, restarted };
  }

  readMessages(_folder: FolderInfo, refs: MessageRef[], options?: ReadOptions): AsyncIterable<ReadResult> {
    return readMessages(this.ctx, refs, options);
  }

  async ensureFolder(segments: string[], itemType?: ItemType): Promise<{ path: string; state: DestinationFolderState }> {
    const index = this.index ?? (await this.refresh());
    const folder = await ensureFolder(this.ctx, index, segments, itemType);
    return { path: folder.path, state: this.stateOf(folder.id) };
  }

  async folderState(path: string): Promise<DestinationFolderState> {
    return this.stateOf(await this.folderIdByPath(path));
  }

  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    const streams = this.offered.filter((f) => f !== 'rfc822');
    const self = this;
    return (async function* () {
      const folderId = await self.folderIdByPath(path);
      yield* appendMessages(self.ctx, { folderId, sessions: self.sessions, streams, refused: self.refused }, messages);
    })();
  }

  async listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    // A fresh listing: recovery must see what the destination holds now, not a cached delta.
    return entriesOf(await syncFolder(this.ctx, await this.folderIdByPath(path), undefined, false), fromUid);
  }

  async exportSettings(types: readonly MailboxSetting['type'][]): Promise<MailboxSetting[]> {
    return exportGraphSettings(this.ctx, this.index ?? (await this.refresh()), types);
  }

  async importSettings(settings: MailboxSetting[], folderPath: (sourcePath: string) => string | undefined): Promise<SettingResult[]> {
    return importGraphSettings(this.ctx, await this.refresh(), settings, folderPath, this.options.recipientMappings);
  }

  async close(): Promise<void> {
    this.ctx.transport.close();
  }

  /**
   * Graph has no UIDs. `uidNext` is the server's clock in seconds when asked: everything imported
   * after that was created at or after it, so crash recovery lists only what appeared since.
   */
  private stateOf(folderId: string): DestinationFolderState {
    return { uidValidity: hash31(folderId), uidNext: Math.floor(this.ctx.transport.serverNow() / 1000) - FLOOR_SLACK_S };
  }

  /** A delta link on the Graph host this session signs in to: the token is never sent elsewhere. */
  private isOwnLink(link: string): boolean {
    try {
      return new URL(link).origin === this.ctx.transport.options.baseUrl.origin;
    } catch {
      return false;
    }
  }

  private async refresh(): Promise<GraphFolderIndex> {
    this.index = await listFolders(this.ctx);
    return this.index;
  }

  private async folderId(folder: FolderInfo): Promise<string> {
    return (folder as Partial<GraphFolder>).id ?? this.folderIdByPath(folder.path);
  }

  private async folderIdByPath(path: string): Promise<string> {
    if (!this.index?.byPathString(path)) await this.refresh();
    return folderIdByPath(this.index!, path, this.ctx.mailbox);
  }
}
