/**
 * Exchange's folder classes (FolderClass, Graph mailboxFolder `type`) and item message classes
 * (ItemClass, Graph mailboxItem `type`) → the item types a pass selects by. Shared by the EWS and
 * Graph connectors: both read the same store.
 */
import type { ItemType } from '../core/model.js';

/** FolderClass prefixes → item types; anything else under IPM (IPF.Configuration, IPF.Files…) is not migrated. */
const CLASS_TYPES: [string, ItemType][] = [
  ['IPF.Note', 'mail'],
  ['IPF.Appointment', 'calendar'],
  ['IPF.Contact', 'contacts'],
  ['IPF.Task', 'tasks'],
  ['IPF.StickyNote', 'notes'],
  ['IPF.Journal', 'journal'],
];

export function itemTypeOfClass(folderClass: string): ItemType | undefined {
  if (folderClass === '' || folderClass === 'IPF') return 'mail'; // created by IMAP clients, no class: mail
  for (const [prefix, type] of CLASS_TYPES) {
    if (folderClass === prefix || folderClass.startsWith(`${prefix}.`)) return type;
  }
  return undefined;
}

/** ItemClass → the item type a pass selects by. */
export function itemTypeOfItemClass(itemClass: string): ItemType {
  const c = itemClass.toLowerCase();
  const is = (p: string) => c === p || c.startsWith(`${p}.`);
  if (is('ipm.appointment') || is('ipm.schedule.meeting')) return is('ipm.schedule.meeting') ? 'mail' : 'calendar';
  if (is('ipm.contact') || is('ipm.distlist')) return 'contacts';
  if (is('ipm.task')) return 'tasks';
  if (is('ipm.stickynote')) return 'notes';
  if (is('ipm.activity')) return 'journal';
  return 'mail';
}
