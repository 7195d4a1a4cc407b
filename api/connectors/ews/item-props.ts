/**
 * The item properties Mailferry reads and writes beside an item's content: the MAPI tags MIME
 * loses (delivery time, read, follow-up flag) and our crash-recovery marker, a named string
 * property in Mailferry's own property set holding the source key.
 */
import { el, escapeXml } from './xml.js';

export { itemTypeOfItemClass } from '../exchange-classes.js';

/** Mailferry's property set (a fixed GUID of our own) and the marker's name in it. */
export const MAILFERRY_PROPERTY_SET = '0b1c5e6f-3a52-4d4e-9f0d-6d61696c6672';
export const MARKER_NAME = 'MailferrySourceKey';

export const PR_MESSAGE_DELIVERY_TIME = '0x0E06';
export const PR_MESSAGE_FLAGS = '0x0E07';
export const PR_FLAG_STATUS = '0x1090';
export const MSGFLAG_READ = 0x1;
export const FLAG_STATUS_FLAGGED = 2;

export const MARKER_URI = el('t:ExtendedFieldURI', {
  PropertySetId: MAILFERRY_PROPERTY_SET,
  PropertyName: MARKER_NAME,
  PropertyType: 'String',
});
export const DELIVERY_TIME_URI = el('t:ExtendedFieldURI', { PropertyTag: PR_MESSAGE_DELIVERY_TIME, PropertyType: 'SystemTime' });
export const MESSAGE_FLAGS_URI = el('t:ExtendedFieldURI', { PropertyTag: PR_MESSAGE_FLAGS, PropertyType: 'Integer' });
export const FLAG_STATUS_URI = el('t:ExtendedFieldURI', { PropertyTag: PR_FLAG_STATUS, PropertyType: 'Integer' });

export function extendedProperty(uri: string, value: string): string {
  return `<t:ExtendedProperty>${uri}${el('t:Value', {}, escapeXml(value))}</t:ExtendedProperty>`;
}

/** The types.xsd element an item of this ItemClass is (what an UpdateItem's SetItemField must name). */
export function elementOfItemClass(itemClass: string): string {
  const c = itemClass.toLowerCase();
  const is = (p: string) => c === p || c.startsWith(`${p}.`);
  if (is('ipm.appointment')) return 'CalendarItem';
  if (is('ipm.contact')) return 'Contact';
  if (is('ipm.distlist')) return 'DistributionList';
  if (is('ipm.task')) return 'Task';
  if (is('ipm.post')) return 'PostItem';
  if (is('ipm.note') || is('ipm.schedule.meeting')) return 'Message';
  return 'Item';
}

/** `\Seen`, `\Flagged` and categories as keywords, from the item's MAPI flags. */
export function imapFlags(messageFlags: number | undefined, flagStatus: number | undefined, categories: string[]): string[] {
  const flags: string[] = [];
  if (messageFlags !== undefined && (messageFlags & MSGFLAG_READ) !== 0) flags.push('\\Seen');
  if (flagStatus === FLAG_STATUS_FLAGGED) flags.push('\\Flagged');
  for (const c of categories) if (c.trim() !== '') flags.push(c);
  return flags;
}
