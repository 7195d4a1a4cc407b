/**
 * CreateFolder (messages.xsd `CreateFolderType`): `m:ParentFolderId` holds one folder id and
 * `m:Folders` the folders to create; Exchange answers each with only its new `t:FolderId`.
 */
import type { FolderElement } from '../mailbox-store.js';
import { NS, type XmlElement, child } from '../xml.js';
import { EwsError, type EwsContext, folderIdElements, perMessage, resolveFolder, responseEnvelope } from '../soap.js';

/** The FolderClass Exchange assigns when the request names none, per element. */
const DEFAULT_CLASS: Record<FolderElement, string> = {
  Folder: 'IPF.Note',
  CalendarFolder: 'IPF.Appointment',
  ContactsFolder: 'IPF.Contact',
  TasksFolder: 'IPF.Task',
  SearchFolder: 'IPF.Note',
};

export function createFolder(req: XmlElement, ctx: EwsContext): string {
  const parentIdEl = folderIdElements(child(req, NS.messages, 'ParentFolderId'))[0]!;
  const specs = child(req, NS.messages, 'Folders')?.children ?? [];
  const messages = specs.map((spec) =>
    perMessage('CreateFolder', () => {
      const { mbx, folder: parent } = resolveFolder(ctx, parentIdEl);
      const element = spec.local as FolderElement;
      if (element === 'SearchFolder') throw new EwsError('ErrorInvalidRequest', 'The EWS test server does not create search folders.');
      const displayName = child(spec, NS.types, 'DisplayName')?.text ?? '';
      if (displayName.trim() === '') throw new EwsError('ErrorInvalidRequest', 'A folder needs a DisplayName.');
      // Exchange compares sibling folder names case-insensitively.
      const clash = ctx.store.childrenOf(mbx, parent.id).some((f) => f.displayName.toLowerCase() === displayName.toLowerCase());
      if (clash) throw new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
      const folderClass = child(spec, NS.types, 'FolderClass')?.text ?? DEFAULT_CLASS[element];
      const created = ctx.store.insert(mbx, parent.id, displayName, element, folderClass);
      return `<m:Folders><t:${element}><t:FolderId Id="${created.id}" ChangeKey="${created.changeKey}"/></t:${element}></m:Folders>`;
    }),
  );
  return responseEnvelope('CreateFolder', messages);
}
