/**
 * The folder tree under msgfolderroot ("Top of Information Store"): FindFolder Deep, paged,
 * joined to paths through ParentFolderId; special uses from the well-known folders; item types
 * from FolderClass. Search folders and non-IPM classes (IPF.Configuration, …) are skipped.
 */
import type { FolderInfo, SpecialUse } from '../../core/connector.js';
import { MailferryError } from '../../core/errors.js';
import type { ItemType } from '../../core/model.js';
import { distinguishedFolderXml, type EwsContext } from './context.js';
import { fromCode } from './map-error.js';
import { attr, child, elementChildren, escapeXml, text } from './xml.js';
import { itemTypeOfClass } from '../exchange-classes.js';

export { itemTypeOfClass };

export const SEPARATOR = '/';

export interface EwsFolder extends FolderInfo {
  id: string;
  /** FolderClass as the server has it ('' when none). */
  folderClass: string;
  /** The well-known name (inbox, calendar, …) when this is one. */
  distinguished?: string;
}

/** Well-known folders we look up by name to learn their ids. */
export const WELL_KNOWN_IDS = [
  'inbox',
  'sentitems',
  'drafts',
  'deleteditems',
  'junkemail',
  'outbox',
  'calendar',
  'contacts',
  'tasks',
  'notes',
  'journal',
] as const;

const SPECIAL_USE: Readonly<Record<string, SpecialUse>> = {
  inbox: 'inbox',
  sentitems: 'sent',
  drafts: 'drafts',
  deleteditems: 'trash',
  junkemail: 'junk',
};

/** The element and FolderClass CreateFolder needs for a folder holding `type`. */
export function folderElementFor(type: ItemType | undefined): { element: string; folderClass?: string } {
  switch (type) {
    case 'calendar':
      return { element: 'CalendarFolder' };
    case 'contacts':
      return { element: 'ContactsFolder' };
    case 'tasks':
      return { element: 'TasksFolder' };
    case 'notes':
      return { element: 'Folder', folderClass: 'IPF.StickyNote' };
    case 'journal':
      return { element: 'Folder', folderClass: 'IPF.Journal' };
    default:
      return { element: 'Folder', folderClass: 'IPF.Note' };
  }
}

export function pathOf(segments: string[]): string {
  return segments.join(SEPARATOR);
}

/** Ids of msgfolderroot and the well-known folders that exist in this mailbox. */
export async function wellKnownFolders(ctx: EwsContext): Promise<{ root: string; byName: Map<string, string> }> {
  const names = ['msgfolderroot', ...WELL_KNOWN_IDS];
  const response = await ctx.transport.call(
    `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${names.map((n) => distinguishedFolderXml(ctx, n)).join('')}</m:FolderIds></m:GetFolder>`,
  );
  const byName = new Map<string, string>();
  let root: string | undefined;
  response.messages.forEach((message, i) => {
    if (message.responseClass === 'Error') {
      if (i === 0) throw fromCode(message, `Opening the mailbox ${ctx.mailbox}`);
      return; // a Groups mailbox has Inbox and Calendar only
    }
    const folder = elementChildren(child(message.element, 'Folders'))[0];
    const id = attr(child(folder, 'FolderId'), 'Id');
    if (!id) return;
    if (i === 0) root = id;
    else byName.set(names[i]!, id);
  });
  if (!root) throw new MailferryError('internal', `EWS did not return the root folder of ${ctx.mailbox}.`);
  return { root, byName };
}

interface RawFolder {
  id: string;
  parentId: string;
  name: string;
  folderClass: string;
  element: string;
}

const FOLDER_SHAPE =
  '<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
  '<t:FieldURI FieldURI="folder:ParentFolderId"/><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURI FieldURI="folder:FolderClass"/>' +
  '</t:AdditionalProperties></m:FolderShape>';

/** FindFolder under `parentXml` (a folder id element), every page. */
export async function findFolders(ctx: EwsContext, parentXml: string, traversal: 'Deep' | 'Shallow'): Promise<RawFolder[]> {
  const out: RawFolder[] = [];
  const pageSize = Math.min(ctx.limits.pageSize, 1000);
  for (let offset = 0; ; ) {
    const response = await ctx.transport.call(
      `<m:FindFolder Traversal="${traversal}">${FOLDER_SHAPE}<m:IndexedPageFolderView MaxEntriesReturned="${pageSize}" Offset="${offset}" BasePoint="Beginning"/>` +
        `<m:ParentFolderIds>${parentXml}</m:ParentFolderIds></m:FindFolder>`,
    );
    const message = response.messages[0];
    if (!message) throw new MailferryError('internal', 'FindFolder returned no response message.');
    if (message.responseClass === 'Error') throw fromCode(message, `Listing the folders of ${ctx.mailbox}`);
    const rootFolder = child(message.element, 'RootFolder');
    const page = elementChildren(child(rootFolder, 'Folders'));
    for (const f of page) {
      out.push({
        id: attr(child(f, 'FolderId'), 'Id') ?? '',
        parentId: attr(child(f, 'ParentFolderId'), 'Id') ?? '',
        name: text(child(f, 'DisplayName')) ?? '',
        folderClass: text(child(f, 'FolderClass')) ?? '',
        element: f.localName,
      });
    }
    const last = attr(rootFolder, 'IncludesLastItemInRange') !== 'false';
    const next = Number(attr(rootFolder, 'IndexedPagingOffset') ?? offset + page.length);
    if (last || page.length === 0) break;
    offset = Number.isFinite(next) && next > offset ? next : offset + page.length;
  }
  return out;
}

/** Every migratable folder under msgfolderroot, parents before children. */
export async function listFolders(ctx: EwsContext, known: { root: string; byName: Map<string, string> }): Promise<EwsFolder[]> {
  const raw = await findFolders(ctx, `<t:FolderId Id="${escapeXml(known.root)}"/>`, 'Deep');
  const byId = new Map(raw.map((f) => [f.id, f]));
  const nameById = new Map([...known.byName].map(([name, id]) => [id, name]));
  const segmentsOf = (f: RawFolder): string[] | undefined => {
    const segments: string[] = [];
    for (let cur: RawFolder | undefined = f, guard = 0; cur; cur = byId.get(cur.parentId), guard++) {
      if (guard > 64) return undefined;
      segments.unshift(cur.name);
      if (cur.parentId === known.root) return segments;
    }
    return undefined; // orphan (parent outside the listing)
  };
  // A folder is skipped when it, or any folder above it, is a search folder or not an IPM class.
  const excluded = new Map<string, boolean>();
  const isExcluded = (f: RawFolder | undefined, depth = 0): boolean => {
    if (!f || f.id === known.root || depth > 64) return false;
    const memo = excluded.get(f.id);
    if (memo !== undefined) return memo;
    const own = f.element === 'SearchFolder' || itemTypeOfClass(f.folderClass) === undefined;
    const result = own || isExcluded(byId.get(f.parentId), depth + 1);
    excluded.set(f.id, result);
    return result;
  };
  const out: EwsFolder[] = [];
  for (const f of raw) {
    const itemType = itemTypeOfClass(f.folderClass);
    if (isExcluded(f) || itemType === undefined) continue;
    const segments = segmentsOf(f);
    if (!segments) continue;
    const distinguished = nameById.get(f.id);
    const specialUse = distinguished ? SPECIAL_USE[distinguished] : undefined;
    out.push({
      id: f.id,
      path: pathOf(segments),
      segments,
      separator: SEPARATOR,
      noSelect: false,
      itemType,
      folderClass: f.folderClass,
      ...(specialUse ? { specialUse } : {}),
      ...(distinguished ? { distinguished } : {}),
    });
  }
  return out;
}
