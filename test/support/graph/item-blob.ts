/**
 * The Graph test server's export stream: what `exportItems` returns as `data` and `importItem`
 * takes back. Exchange's real stream is opaque FastTransfer (MS-OXCFXICS); ours is opaque too
 * (a magic, a version byte, then JSON) and a client must never look inside. Encoding is
 * deterministic, so export → import → export gives the same bytes.
 *
 * With `acceptEwsExport`, importItem also takes the EWS test server's `ExportItems` data
 * (base64 JSON `mailferry-ews-item` v1, test/support/ews/items.ts) and keeps it whole, because
 * Microsoft has not said whether on-premises EWS exports import into Exchange Online.
 */
import { EXPORT_FORMAT as EWS_EXPORT_FORMAT, EXPORT_VERSION as EWS_EXPORT_VERSION } from '../ews/items.js';

const MAGIC = Buffer.from('MFGI', 'latin1');
const VERSION = 1;

/** What an item is, as this server keeps it. */
export interface ItemContent {
  /** The message class (`IPM.Note`, `IPM.Appointment`, `IPM.Contact`, …): mailboxItem `type`. */
  type: string;
  /** The whole RFC 5322 message, base64 (mail). */
  mime?: string;
  /** Free text standing for a non-mail item's properties (calendar, contact, task, note). */
  body?: string;
  subject?: string;
  isRead: boolean;
  isDraft: boolean;
  flagged: boolean;
  categories: string[];
  receivedDateTime?: string;
  /** The EWS test server's exported item, kept whole when the stream came from EWS. */
  ews?: unknown;
}

/** Fixed key order: the same content always encodes to the same bytes. */
const KEYS: (keyof ItemContent)[] = [
  'type',
  'mime',
  'body',
  'subject',
  'isRead',
  'isDraft',
  'flagged',
  'categories',
  'receivedDateTime',
  'ews',
];

export function encodeBlob(content: ItemContent): Buffer {
  const ordered: Record<string, unknown> = {};
  for (const k of KEYS) if (content[k] !== undefined) ordered[k] = content[k];
  return Buffer.concat([MAGIC, Buffer.from([VERSION]), Buffer.from(JSON.stringify(ordered), 'utf8')]);
}

/** The content of one of this server's blobs; undefined for anything else. */
export function decodeBlob(blob: Buffer): ItemContent | undefined {
  if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC) || blob[MAGIC.length] !== VERSION) return undefined;
  try {
    const c = JSON.parse(blob.subarray(MAGIC.length + 1).toString('utf8')) as ItemContent;
    return typeof c.type === 'string' && typeof c.isRead === 'boolean' && Array.isArray(c.categories) ? c : undefined;
  } catch {
    return undefined;
  }
}

interface EwsExported {
  itemClass: string;
  mime?: { base64: string };
  received?: string;
  isRead?: boolean;
  isDraft?: boolean;
  flag?: { status?: string };
}

/**
 * The EWS test server's ExportItems stream (its `Data` base64-decoded, as importItem's `Data`
 * is) as this server's content; undefined if it is not one.
 */
export function fromEwsExport(bytes: Buffer): ItemContent | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { format?: string; version?: number; item?: EwsExported };
    if (parsed.format !== EWS_EXPORT_FORMAT || parsed.version !== EWS_EXPORT_VERSION || !parsed.item) return undefined;
    const item = parsed.item;
    const subject = item.mime ? mimeHeader(Buffer.from(item.mime.base64, 'base64'), 'Subject') : undefined;
    return {
      type: item.itemClass,
      ...(item.mime ? { mime: item.mime.base64 } : {}),
      ...(subject !== undefined ? { subject } : {}),
      isRead: item.isRead ?? false,
      isDraft: item.isDraft ?? false,
      flagged: item.flag?.status === 'Flagged',
      categories: [],
      ...(item.received ? { receivedDateTime: item.received } : {}),
      ews: item,
    };
  } catch {
    return undefined;
  }
}

/** The message's own header value (first occurrence, unfolded), for subject and dates. */
export function mimeHeader(mime: Buffer, name: string): string | undefined {
  const end = mime.indexOf('\r\n\r\n');
  const head = mime
    .subarray(0, end < 0 ? Math.min(mime.length, 64 * 1024) : end)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return m?.[1]?.trim();
}
