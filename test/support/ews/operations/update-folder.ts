/**
 * UpdateFolder (messages.xsd UpdateFolderType; types.xsd FolderChangeType): per folder, a list
 * of SetFolderField / AppendToFolderField / DeleteFolderField changes. Implemented:
 *  - SetFolderField folder:PermissionSet — replaces the folder's permissions (Default, Anonymous,
 *    named users; a named PermissionLevel expands to its rights, Custom takes them as sent);
 *  - DeleteFolderField folder:PermissionSet — back to the defaults;
 *  - SetFolderField folder:DisplayName — rename (ErrorFolderExists on a sibling clash).
 * Each answer carries the folder's id with a new ChangeKey, as Exchange's does.
 */
import { randomBytes } from 'node:crypto';
import { PermissionError, readPermissionSet } from '../permissions.js';
import { NS, type XmlElement, child } from '../xml.js';
import { EwsError, type EwsContext, perMessage, resolveFolder, responseEnvelope } from '../soap.js';

const CHANGE_KEY_BYTES = 8;

export function updateFolder(req: XmlElement, ctx: EwsContext): string {
  const changes = child(req, NS.messages, 'FolderChanges')?.children ?? [];
  const messages = changes.map((change) =>
    perMessage('UpdateFolder', () => {
      const idEl = change.children.find((c) => c.local === 'FolderId' || c.local === 'DistinguishedFolderId')!;
      const { mbx, folder } = resolveFolder(ctx, idEl);
      // Work on a copy: a failing change leaves the folder as it was.
      const next = { ...folder };
      for (const update of child(change, NS.types, 'Updates')?.children ?? []) {
        const field = child(update, NS.types, 'FieldURI')?.attrs['FieldURI'];
        if (!field) throw new EwsError('ErrorInvalidRequest', 'The EWS test server updates folder:* FieldURI properties only.');
        if (update.local === 'AppendToFolderField') throw new EwsError('ErrorInvalidPropertyAppend', `${field} cannot be appended to.`);
        if (field === 'folder:PermissionSet') {
          if (mbx.kind === 'group') throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
          if (update.local === 'DeleteFolderField') {
            delete next.permissions;
            continue;
          }
          const folderEl = update.children.find((c) => c.ns === NS.types && c.local !== 'FieldURI')!;
          const setEl = child(folderEl, NS.types, 'PermissionSet');
          if (!setEl) throw new EwsError('ErrorInvalidRequest', 'SetFolderField folder:PermissionSet needs a PermissionSet.');
          try {
            next.permissions = readPermissionSet(folder, setEl, (smtp) => {
              const m = ctx.store.mailbox(smtp);
              return m ? (m.displayName ?? smtp.split('@')[0]!) : undefined;
            });
          } catch (err) {
            if (err instanceof PermissionError) throw new EwsError(err.code, err.message);
            throw err;
          }
        } else if (field === 'folder:DisplayName') {
          if (update.local === 'DeleteFolderField')
            throw new EwsError('ErrorInvalidPropertyDelete', 'folder:DisplayName cannot be deleted.');
          const folderEl = update.children.find((c) => c.ns === NS.types && c.local !== 'FieldURI')!;
          const name = child(folderEl, NS.types, 'DisplayName')?.text ?? '';
          if (name.trim() === '') throw new EwsError('ErrorInvalidRequest', 'A folder needs a DisplayName.');
          const clash =
            folder.parentId &&
            ctx.store
              .childrenOf(mbx, folder.parentId)
              .some((f) => f.id !== folder.id && f.displayName.toLowerCase() === name.toLowerCase());
          if (clash) throw new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
          next.displayName = name;
        } else {
          throw new EwsError('ErrorInvalidRequest', `The EWS test server does not update ${field}.`);
        }
      }
      next.changeKey = randomBytes(CHANGE_KEY_BYTES).toString('base64');
      Object.assign(folder, next);
      if (!('permissions' in next)) delete folder.permissions;
      return `<m:Folders><t:${folder.element}><t:FolderId Id="${folder.id}" ChangeKey="${folder.changeKey}"/></t:${folder.element}></m:Folders>`;
    }),
  );
  return responseEnvelope('UpdateFolder', messages);
}
