/** The EWS test server's operations by SOAP Body element name (messages.xsd global elements). */
import type { XmlElement } from '../xml.js';
import type { EwsContext } from '../soap.js';
import { createFolder } from './create-folder.js';
import { findFolder } from './find-folder.js';
import { getFolder } from './get-folder.js';
import { createItem } from './create-item.js';
import { deleteItem } from './delete-item.js';
import { exportItems } from './export-items.js';
import { findItem } from './find-item.js';
import { getItem } from './get-item.js';
import { syncFolderHierarchy } from './sync-folder-hierarchy.js';
import { syncFolderItems } from './sync-folder-items.js';
import { updateItem } from './update-item.js';
import { uploadItems } from './upload-items.js';
import { getInboxRules, updateInboxRules } from './inbox-rules.js';
import { getUserOofSettings, setUserOofSettings } from './oof.js';
import { resolveNames } from './resolve-names.js';
import { updateFolder } from './update-folder.js';

export type OperationHandler = (req: XmlElement, ctx: EwsContext) => string;

export const OPERATIONS: Record<string, OperationHandler> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
  // Items (items.ts): create/read/find/update/delete, incremental sync, export/upload.
  CreateItem: createItem,
  GetItem: getItem,
  FindItem: findItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  SyncFolderItems: syncFolderItems,
  SyncFolderHierarchy: syncFolderHierarchy,
  ExportItems: exportItems,
  UploadItems: uploadItems,
  UpdateFolder: updateFolder,
  GetInboxRules: getInboxRules,
  UpdateInboxRules: updateInboxRules,
  // The Availability-style OOF operations' Body elements end in "Request".
  GetUserOofSettingsRequest: getUserOofSettings,
  SetUserOofSettingsRequest: setUserOofSettings,
  ResolveNames: resolveNames,
};
