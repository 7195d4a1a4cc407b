/** The EWS test server's operations by SOAP Body element name (messages.xsd global elements). */
import type { XmlElement } from '../xml.js';
import type { EwsContext } from '../soap.js';
import { createFolder } from './create-folder.js';
import { findFolder } from './find-folder.js';
import { getFolder } from './get-folder.js';

export type OperationHandler = (req: XmlElement, ctx: EwsContext) => string;

export const OPERATIONS: Record<string, OperationHandler> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
};
