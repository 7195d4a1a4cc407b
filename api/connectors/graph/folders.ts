/**
 * The folder tree of a mailbox through the import/export API: the top-level folders (whose
 * parent is the root) and `folders/delta` (every folder, flat), joined to paths through
 * `parentFolderId`; item types from the folder `type` (IPF.Note, IPF.Appointment, …). Folders of
 * other classes (IPF.Configuration, …) and everything under them are not migrated. Folders are
 * created with `POST folders` / `childFolders` `{displayName, type}`.
 */
import type { FolderInfo, SpecialUse } from '../../core/connector.js';
import { NotFoundError, ValidationError, ensureError } from '../../core/errors.js';
import type { ItemType } from '../../core/model.js';
import { findSpecialUse } from '../../core/special-folders.js';
import { itemTypeOfClass } from '../exchange-classes.js';
import { FolderIndex } from '../folder-index.js';
import { type GraphContext, mailboxPath } from './context.js';
import { readAllPages } from './paging.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

export const SEPARATOR = '/';

export interface MailboxFolder {
  id: string;
  displayName: string;
  parentFolderId?: string;
  childFolderCount?: number;
  totalItemCount?: number;
  type?: string;
}

export interface GraphFolder extends FolderInfo {
  id: string;
  folderClass: string;
}

export class GraphFolderIndex extends FolderIndex<GraphFolder> {}

/** The folder `type` a new folder holding `itemType` gets. */
const CLASS_OF: Readonly<Record<ItemType, string>> = {
  mail: 'IPF.Note',
  calendar: 'IPF.Appointment',
  contacts: 'IPF.Contact',
  tasks: 'IPF.Task',
  notes: 'IPF.StickyNote',
  journal: 'IPF.Journal',
  rules: 'IPF.Note',
  permissions: 'IPF.Note',
};

export async function listFolders(ctx: GraphContext): Promise<GraphFolderIndex> {
  const read = { action: `Listing the folders of ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.folderRead };
  const top = await readAllPages<MailboxFolder>(ctx, mailboxPath(ctx, '/folders'), read);
  const all = await readAllPages<MailboxFolder>(ctx, mailboxPath(ctx, '/folders/delta'), read);
  const rootId = top.values[0]?.parentFolderId ?? '';
  const byId = new Map([...top.values, ...all.values].map((f) => [f.id, f]));
  const out: GraphFolder[] = [];
  const segmentsOf = (f: MailboxFolder): string[] | undefined => {
    const segments: string[] = [];
    for (let cur: MailboxFolder | undefined = f, guard = 0; cur && guard < 64; cur = byId.get(cur.parentFolderId ?? ''), guard++) {
      // A folder of a class we do not migrate keeps everything under it out too.
      if (itemTypeOfClass(cur.type ?? '') === undefined) return undefined;
      segments.unshift(cur.displayName);
      if (cur.parentFolderId === rootId) return segments;
    }
    return undefined; // an orphan, or a folder outside the IPM subtree
  };
  for (const f of byId.values()) {
    const segments = segmentsOf(f);
    if (!segments) continue;
    out.push(folderOf(f, segments));
  }
  out.sort((a, b) => a.segments.length - b.segments.length || a.path.localeCompare(b.path));
  return new GraphFolderIndex(rootId, out);
}

function folderOf(f: MailboxFolder, segments: string[]): GraphFolder {
  const specialUse: SpecialUse | undefined = segments.length === 1 ? findSpecialUse(segments, undefined) : undefined;
  return {
    id: f.id,
    path: segments.join(SEPARATOR),
    segments,
    separator: SEPARATOR,
    noSelect: false,
    itemType: itemTypeOfClass(f.type ?? '') ?? 'mail',
    folderClass: f.type ?? '',
    ...(specialUse ? { specialUse } : {}),
  };
}

export async function ensureFolder(
  ctx: GraphContext,
  index: GraphFolderIndex,
  segments: string[],
  itemType: ItemType = 'mail',
): Promise<GraphFolder> {
  if (segments.length === 0 || segments.some((s) => s.trim() === '')) {
    throw new ValidationError(`A folder name cannot be empty ("${segments.join(SEPARATOR)}").`);
  }
  let parent: GraphFolder | undefined;
  for (let depth = 1; depth <= segments.length; depth++) {
    const prefix = segments.slice(0, depth);
    let found = index.get(prefix);
    if (!found) {
      found = await createFolder(ctx, parent, prefix, CLASS_OF[itemType]);
      index.add(found);
    }
    parent = found;
  }
  return parent!;
}

async function createFolder(ctx: GraphContext, parent: GraphFolder | undefined, segments: string[], type: string): Promise<GraphFolder> {
  const displayName = segments[segments.length - 1]!;
  const url = mailboxPath(ctx, parent ? `/folders/${encodeURIComponent(parent.id)}/childFolders` : '/folders');
  const action = `Creating folder "${segments.join(SEPARATOR)}" in ${ctx.mailbox}`;
  try {
    const { body } = await ctx.transport.send<MailboxFolder>({
      method: 'POST',
      url,
      json: { displayName, type },
      action,
      permission: GRAPH_PERMISSIONS.folderWrite,
    });
    return folderOf({ ...body, type: body.type ?? type }, segments);
  } catch (raw) {
    const error = ensureError(raw);
    if (error.code !== 'rejected') throw error;
    // Created meanwhile by another lane, or differing only in case: use the one that is there.
    const existing = await findChild(ctx, parent, segments);
    if (existing) return existing;
    throw new ValidationError(`${error.message} Rename the folder with FolderMapping.`, { cause: error });
  }
}

async function findChild(ctx: GraphContext, parent: GraphFolder | undefined, segments: string[]): Promise<GraphFolder | undefined> {
  const name = segments[segments.length - 1]!.toLowerCase();
  const url = mailboxPath(ctx, parent ? `/folders/${encodeURIComponent(parent.id)}/childFolders` : '/folders');
  const { values } = await readAllPages<MailboxFolder>(ctx, url, {
    action: `Listing the folders of ${ctx.mailbox}`,
    permission: GRAPH_PERMISSIONS.folderRead,
  });
  const match = values.find((f) => f.displayName.toLowerCase() === name);
  return match ? folderOf(match, [...segments.slice(0, -1), match.displayName]) : undefined;
}

export function folderIdByPath(index: GraphFolderIndex, path: string, mailbox: string): string {
  const found = index.byPathString(path);
  if (!found) throw new NotFoundError(`Folder "${path}" does not exist in ${mailbox}.`);
  return found.id;
}
