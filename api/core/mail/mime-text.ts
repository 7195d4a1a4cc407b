/**
 * Reads what a person sees in an Internet message (RFC 5322/2045–2047): the address and date
 * headers decoded, the body (HTML preferred, else plain text) in Unicode, and the attachments'
 * names and sizes. For destinations that take a message as text rather than as MIME (a Microsoft
 * 365 Groups conversation post over Graph). No MIME parser is among Mailferry's dependencies
 * (mailparser or postal-mime would be the maintained choice; adding one is for the lead), so
 * this reads the common structures only: nested multiparts, base64 and quoted-printable, charsets
 * through iconv-lite, RFC 2047 encoded words and RFC 2231 file names.
 */
import iconv from 'iconv-lite';

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

type Headers = Map<string, string>;
const MAX_DEPTH = 20;

/** Header fields (unfolded, names lower-case; the first of each name wins) and where the body starts. */
function splitHeaders(raw: Buffer): { headers: Headers; body: Buffer } {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const end = m ? m.index : text.length;
  const headers: Headers = new Map();
  for (const line of text.slice(0, end).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body: raw.subarray(m ? end + m[0].length : raw.length) };
}

function decodeCharset(bytes: Buffer, charset: string): string {
  const name = charset.trim().toLowerCase() || 'us-ascii';
  if (name === 'us-ascii' || name === 'ascii') return bytes.toString('latin1');
  return iconv.encodingExists(name) ? iconv.decode(bytes, name) : bytes.toString('utf8');
}

function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(soft.slice(i + 1, i + 3))?.[0] : undefined;
    if (hex) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(soft.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** RFC 2047 encoded words (`=?utf-8?B?…?=`), adjacent ones joined; 8-bit header bytes read as UTF-8. */
export function decodeWords(value: string): string {
  const utf8 = Buffer.from(value, 'latin1').toString('utf8');
  const text = utf8.includes('\uFFFD') ? value : utf8;
  return text.replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=/g, (_m, charset: string, enc: string, data: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
    return decodeCharset(bytes, charset);
  });
}

/** A parameter of a structured header (`charset`, `boundary`, `name`, `filename`, RFC 2231 `filename*`). */
function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const extended = new RegExp(`;\\s*${name}\\*(?:0\\*?)?=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  if (extended) {
    const raw = extended[1] ?? extended[2] ?? '';
    const m = /^([^']*)'[^']*'(.*)$/.exec(raw);
    if (m) return decodeCharset(Buffer.from(decodeURIComponent(m[2]!.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')), 'latin1'), m[1] || 'utf-8');
    return raw;
  }
  const plain = new RegExp(`;\\s*${name}=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(value);
  const found = plain ? plain[1] ?? plain[2] : undefined;
  return found === undefined ? undefined : decodeWords(found.replace(/\\(.)/g, '$1'));
}

function transferDecoded(headers: Headers, body: Buffer): Buffer {
  const cte = (headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body.toString('latin1'));
  return body;
}

interface Walk {
  html?: string;
  text?: string;
  attachments: MimeAttachment[];
}

function walk(raw: Buffer, into: Walk, depth: number): void {
  const { headers, body } = splitHeaders(raw);
  const type = (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  const boundary = param(headers.get('content-type'), 'boundary');
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const text = body.toString('latin1');
    const delimiter = new RegExp(`(?:^|\\r?\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
    const marks = [...text.matchAll(delimiter)];
    for (let i = 0; i < marks.length && !marks[i]![1]; i++) {
      const start = marks[i]!.index! + marks[i]![0].length;
      const end = marks[i + 1]?.index ?? text.length;
      walk(Buffer.from(text.slice(start, end).replace(/^\r?\n/, ''), 'latin1'), into, depth + 1);
    }
    return;
  }
  const disposition = headers.get('content-disposition') ?? '';
  const name = param(disposition, 'filename') ?? param(headers.get('content-type'), 'name');
  const inlineText = (type === 'text/plain' || type === 'text/html') && !/^\s*attachment/i.test(disposition) && !name;
  const bytes = transferDecoded(headers, body);
  if (inlineText) {
    const content = decodeCharset(bytes, param(headers.get('content-type'), 'charset') ?? 'us-ascii');
    if (type === 'text/html') into.html ??= content;
    else into.text ??= content;
    return;
  }
  if (type === 'message/rfc822' && !name) {
    into.attachments.push({ name: `${decodeWords(splitHeaders(bytes).headers.get('subject') ?? 'Attached message')}.eml`, size: bytes.length, contentType: type });
    return;
  }
  into.attachments.push({ name: name ?? `unnamed ${type}`, size: bytes.length, contentType: type });
}

export function readMimeText(message: Buffer): MimeText {
  const { headers } = splitHeaders(message);
  const into: Walk = { attachments: [] };
  walk(message, into, 0);
  const h = (name: string) => decodeWords(headers.get(name) ?? '');
  const body = into.html !== undefined ? { contentType: 'html' as const, content: into.html } : { contentType: 'text' as const, content: into.text ?? '' };
  return { subject: h('subject'), from: h('from'), to: h('to'), cc: h('cc'), date: h('date'), body, attachments: into.attachments };
}
