/**
 * One mailbox over EWS: a thin facade over one file per operation (folders, ensure-folder,
 * find-items, read-messages, append-messages, settings). Folder paths are the segments joined
 * by '/'; the session keeps path → folder id, filled by listFolders and ensureFolder.
 */
import type {
  AppendResult,
  ContentFormat,
  DestinationEntry,
  DestinationFolderState,
  FolderInfo,
  ListMessagesFilter,
  MailboxSession,
  MailboxSetting,
  MessageRef,
  ReadOptions,
  SettingResult,
  SourceMessage,
} from '../../core/connector.js';
import { type MailferryError, NotFoundError, ensureError } from '../../core/errors.js';
import type { ItemType } from '../../core/model.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { appendMessages, setMarkers } from './append-messages.js';
import { elementOfItemClass } from './item-props.js';
import { type EwsContext, supportsExport } from './context.js';
import { FolderIndex, ensureFolder, folderStateOf } from './ensure-folder.js';
import { listMessages, listRange } from './find-items.js';
import { type EwsFolder, listFolders, wellKnownFolders } from './folders.js';
import { readMessages, type ReadResult } from './read-messages.js';
import { exportSettings, importSettings } from './settings.js';

export interface EwsSessionOptions {
  recipientMappings: readonly RecipientMappingRule[];
}

export class EwsSession implements MailboxSession {
  readonly kind: EwsContext['kind'];
  readonly accepts: readonly ContentFormat[];
  private index?: FolderIndex;
  /** ItemClass of the unmarked items listRange saw, for markRecovered's UpdateItem. */
  private readonly unmarkedClass = new Map<string, string>();
  private known?: { root: string; byName: Map<string, string> };

  constructor(
    readonly ctx: EwsContext,
    known: { root: string; byName: Map<string, string> },
    private readonly options: EwsSessionOptions,
  ) {
    this.kind = ctx.kind;
    this.known = known;
    this.accepts = supportsExport(ctx) ? ['ews-export', 'rfc822'] : ['rfc822'];
  }

  /** Requests sent so far (retries included), for tests and diagnostics. */
  get requests(): number {
    return this.ctx.transport.requests;
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.guard('listing folders', () => this.refresh());
  }

  listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]> {
    return this.guard(`listing items in "${folder.path}"`, async () => listMessages(this.ctx, await this.folderId(folder), filter));
  }

  readMessages(folder: FolderInfo, refs: MessageRef[], options?: ReadOptions): AsyncIterable<ReadResult> {
    return this.guardIterable(`reading items in "${folder.path}"`, () => readMessages(this.ctx, refs, options));
  }

  ensureFolder(segments: string[], itemType?: ItemType): Promise<{ path: string; state: DestinationFolderState }> {
    return this.guard(`creating folder "${segments.join('/')}"`, async () => {
      if (!this.index) await this.refresh();
      const index = this.index!;
      const folder = await ensureFolder(this.ctx, index, segments, itemType);
      return { path: folder.path, state: folderStateOf(folder.id) };
    });
  }

  folderState(path: string): Promise<DestinationFolderState> {
    return this.guard(`reading the state of "${path}"`, async () => folderStateOf(await this.folderIdByPath(path)));
  }

  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    return this.guardIterable(
      `writing to "${path}"`,
      async function* (this: EwsSession) {
        const id = await this.folderIdByPath(path);
        yield* appendMessages(this.ctx, id, messages, { recipientMappings: this.options.recipientMappings });
      }.bind(this),
    );
  }

  listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    return this.guard(`listing "${path}"`, async () => {
      const entries = await listRange(this.ctx, await this.folderIdByPath(path), fromUid);
      for (const e of entries) if (e.sourceKey === undefined) this.unmarkedClass.set(e.destId, e.itemClass);
      return entries;
    });
  }

  markRecovered(path: string, pairs: { destId: string; sourceKey: string }[]): Promise<void> {
    return this.guard(`marking recovered items in "${path}"`, () =>
      setMarkers(
        this.ctx,
        pairs.map((p) => ({
          id: p.destId,
          sourceKey: p.sourceKey,
          element: elementOfItemClass(this.unmarkedClass.get(p.destId) ?? 'IPM.Note'),
        })),
      ),
    );
  }

  exportSettings(types: readonly MailboxSetting['type'][]): Promise<MailboxSetting[]> {
    return this.guard('reading mailbox settings', async () => {
      if (!this.index) await this.refresh();
      return exportSettings(this.ctx, this.index!, types);
    });
  }

  importSettings(settings: MailboxSetting[], folderPath: (sourcePath: string) => string | undefined): Promise<SettingResult[]> {
    return this.guard('writing mailbox settings', async () => {
      if (!this.index) await this.refresh();
      return importSettings(this.ctx, this.index!, settings, folderPath, this.options.recipientMappings);
    });
  }

  async close(): Promise<void> {
    this.ctx.transport.close();
  }

  private async refresh(): Promise<EwsFolder[]> {
    this.known ??= await wellKnownFolders(this.ctx);
    const folders = await listFolders(this.ctx, this.known);
    this.index = new FolderIndex(this.known.root, folders);
    return folders;
  }

  private async folderId(folder: FolderInfo): Promise<string> {
    const id = (folder as Partial<EwsFolder>).id;
    return id ?? this.folderIdByPath(folder.path);
  }

  private async folderIdByPath(path: string): Promise<string> {
    let found = this.index?.byPathString(path);
    if (!found) {
      await this.refresh();
      found = this.index!.byPathString(path);
    }
    if (!found) throw new NotFoundError(`Folder "${path}" does not exist in ${this.ctx.mailbox}.`);
    return found.id;
  }

  private async guard<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw contextual(err, `${action} (${this.ctx.mailbox})`);
    }
  }

  private async *guardIterable<T>(action: string, run: () => AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* run();
    } catch (err) {
      throw contextual(err, `${action} (${this.ctx.mailbox})`);
    }
  }
}

function contextual(err: unknown, _action: string): MailferryError {
  // Operation errors already name the mailbox and what failed; keep their type and retry hints.
  return ensureError(err);
}
