/**
 * ensureFolder: finds or creates each segment under msgfolderroot with the element its item
 * type needs (CalendarFolder, ContactsFolder, TasksFolder, Folder + FolderClass). A folder's
 * "UIDVALIDITY" is a stable 31-bit hash of its id; EWS has no UIDNEXT, so it is 0 and crash
 * recovery pairs on the marker property instead (list-range.ts).
 */
import type { DestinationFolderState } from '../../core/connector.js';
import { MailferryError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { ItemType } from '../../core/model.js';
import { type EwsContext, folderIdXml } from './context.js';
import { type EwsFolder, SEPARATOR, findFolders, folderElementFor, itemTypeOfClass, pathOf } from './folders.js';
import { fromCode } from './map-error.js';
import { attr, child, el, elementChildren, escapeXml } from './xml.js';
import { FolderIndex as GenericFolderIndex, hash31 } from '../folder-index.js';

/** The session's folder index over EWS folders. */
export class FolderIndex extends GenericFolderIndex<EwsFolder> {}

/** The FolderFilter an admin adds so a Groups destination gets only what it can hold. */
export const GROUPS_FOLDER_FILTER = '^(?!Inbox$|Calendar$)';

export function folderStateOf(id: string): DestinationFolderState {
  return { uidValidity: hash31(id), uidNext: 0 };
}

export async function ensureFolder(ctx: EwsContext, index: FolderIndex, segments: string[], itemType?: ItemType): Promise<EwsFolder> {
  if (segments.length === 0 || segments.some((s) => s.trim() === '')) {
    throw new ValidationError(`A folder name cannot be empty ("${segments.join(SEPARATOR)}").`);
  }
  if (ctx.kind === 'm365-group') {
    const allowed = segments.length === 1 && /^(inbox|calendar)$/i.test(segments[0]!);
    if (!allowed) {
      throw new ValidationError(
        `A Microsoft 365 Groups mailbox holds only Inbox and Calendar; "${segments.join(SEPARATOR)}" cannot be created there. ` +
          `Add the support option FolderFilter="${GROUPS_FOLDER_FILTER}" to leave other folders out, or FolderMapping to send them to Inbox.`,
        { field: 'options.FolderFilter' },
      );
    }
  }
  let parentId = index.rootId;
  let found: EwsFolder | undefined;
  for (let depth = 1; depth <= segments.length; depth++) {
    const prefix = segments.slice(0, depth);
    found = index.get(prefix);
    if (!found) {
      const name = prefix[depth - 1]!;
      const type = itemType ?? 'mail';
      found = (await createFolder(ctx, parentId, prefix, type)) ?? (await findChild(ctx, parentId, prefix));
      if (!found) throw new NotFoundError(`Folder "${pathOf(prefix)}" could neither be created nor found in ${ctx.mailbox}.`);
      void name;
      index.add(found);
    }
    parentId = found.id;
  }
  return found!;
}

async function createFolder(ctx: EwsContext, parentId: string, segments: string[], type: ItemType): Promise<EwsFolder | undefined> {
  const { element, folderClass } = folderElementFor(type);
  const name = segments[segments.length - 1]!;
  const spec = `<t:${element}>${folderClass ? `<t:FolderClass>${escapeXml(folderClass)}</t:FolderClass>` : ''}<t:DisplayName>${escapeXml(name)}</t:DisplayName></t:${element}>`;
  const response = await ctx.transport.call(
    `<m:CreateFolder><m:ParentFolderId>${folderIdXml(parentId)}</m:ParentFolderId><m:Folders>${spec}</m:Folders></m:CreateFolder>`,
  );
  const message = response.messages[0];
  if (!message) throw new MailferryError('internal', 'CreateFolder returned no response message.');
  if (message.code === 'ErrorFolderExists') return undefined; // created meanwhile (another lane), or differs only in case
  if (message.responseClass === 'Error') {
    if (message.code.startsWith('ErrorInvalid') || message.code === 'ErrorCannotCreateFolder') {
      throw new ValidationError(
        `Folder "${pathOf(segments)}" cannot be created in ${ctx.mailbox}: ${message.code}: ${message.text}. Rename it with FolderMapping.`,
      );
    }
    throw fromCode(message, `Creating folder "${pathOf(segments)}" in ${ctx.mailbox}`);
  }
  const id = attr(child(elementChildren(child(message.element, 'Folders'))[0], 'FolderId'), 'Id');
  if (!id) throw new MailferryError('internal', 'CreateFolder returned no folder id.');
  return { id, path: pathOf(segments), segments, separator: SEPARATOR, noSelect: false, itemType: type, folderClass: folderClass ?? '' };
}

async function findChild(ctx: EwsContext, parentId: string, segments: string[]): Promise<EwsFolder | undefined> {
  const name = segments[segments.length - 1]!.toLowerCase();
  const children = await findFolders(ctx, el('t:FolderId', { Id: parentId }), 'Shallow');
  const match = children.find((f) => f.name.toLowerCase() === name);
  if (!match) return undefined;
  const real = [...segments.slice(0, -1), match.name];
  return {
    id: match.id,
    path: pathOf(real),
    segments: real,
    separator: SEPARATOR,
    noSelect: false,
    itemType: itemTypeOfClass(match.folderClass) ?? 'mail',
    folderClass: match.folderClass,
  };
}
