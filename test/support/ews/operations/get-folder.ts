/** GetFolder (messages.xsd `GetFolderType`): one `GetFolderResponseMessage` per requested id. */
import { NS, type XmlElement, child } from '../xml.js';
import { type EwsContext, folderIdElements, folderXml, perMessage, readFolderShape, resolveFolder, responseEnvelope } from '../soap.js';

export function getFolder(req: XmlElement, ctx: EwsContext): string {
  const shape = readFolderShape(child(req, NS.messages, 'FolderShape'));
  const messages = folderIdElements(child(req, NS.messages, 'FolderIds')).map((idEl) =>
    perMessage('GetFolder', () => {
      const { mbx, folder } = resolveFolder(ctx, idEl);
      return `<m:Folders>${folderXml(ctx, mbx, folder, shape)}</m:Folders>`;
    }),
  );
  return responseEnvelope('GetFolder', messages);
}
