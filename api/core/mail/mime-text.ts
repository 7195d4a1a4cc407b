/**
 * What a person sees in an Internet message: the address and date headers decoded, the body
 * (HTML preferred, else plain text) in Unicode, and the attachments' names and sizes. For
 * destinations that take a message as text rather than as MIME (a Microsoft 365 Groups
 * conversation post over Graph). The parsing is postal-mime's (nested multiparts, transfer
 * encodings, charsets, RFC 2047 words, RFC 2231 names); this file only shapes its answer.
 */
import PostalMime, { decodeWords, type Address } from 'postal-mime';

export interface MimeAttachment {
  name: string;
  /** Decoded bytes. */
  size: number;
  contentType: string;
}

export interface MimeText {
  subject: string;
  from: string;
  to: string;
  cc: string;
  /** The Date header as written (decoded), or '' when absent. */
  date: string;
  /** Body as HTML when the message has an HTML part; else as plain text. */
  body: { contentType: 'html' | 'text'; content: string };
  attachments: MimeAttachment[];
}

/** An attached message (message/rfc822) stays one attachment, not a second body. */
const OPTIONS = { forceRfc822Attachments: true, attachmentEncoding: 'arraybuffer' } as const;
const QUOTE_NEEDED = /[",;:<>@()[\]\\]/;

function displayName(name: string): string {
  return QUOTE_NEEDED.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
}

/** Addresses as a person reads them: `Name <address>`, a group as `Group: members;`. */
function addresses(list: Address[] | Address | undefined): string {
  const one = (a: Address): string => {
    if ('group' in a && a.group) return `${displayName(a.name)}: ${a.group.map(one).join(', ')};`;
    if (!a.address) return a.name;
    return a.name ? `${displayName(a.name)} <${a.address}>` : a.address;
  };
  return (list === undefined ? [] : Array.isArray(list) ? list : [list]).map(one).join(', ');
}

function byteLength(content: ArrayBuffer | Uint8Array | string): number {
  return typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
}

export async function readMimeText(message: Buffer): Promise<MimeText> {
  const email = await PostalMime.parse(message, OPTIONS);
  const header = (key: string) => decodeWords(email.headers.find((h) => h.key === key)?.value ?? '');
  const attachments: MimeAttachment[] = [];
  for (const a of email.attachments) {
    let name = a.filename ?? undefined;
    if (!name && a.mimeType === 'message/rfc822') {
      const inner = await PostalMime.parse(typeof a.content === 'string' ? a.content : new Uint8Array(a.content));
      name = `${inner.subject?.trim() || 'Attached message'}.eml`;
    }
    attachments.push({ name: name ?? `unnamed ${a.mimeType}`, size: byteLength(a.content), contentType: a.mimeType });
  }
  const body =
    email.html !== undefined
      ? { contentType: 'html' as const, content: email.html }
      : { contentType: 'text' as const, content: email.text ?? '' };
  return {
    subject: email.subject ?? '',
    from: addresses(email.from),
    to: addresses(email.to),
    cc: addresses(email.cc),
    date: header('date'),
    body,
    attachments,
  };
}
