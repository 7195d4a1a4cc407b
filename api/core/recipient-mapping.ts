/**
 * `RecipientMapping` applied to what a migration copies, so mail stays replyable after the old
 * tenant is retired: addresses in a message's address headers (From, To, Cc, Bcc, Reply-To,
 * Sender, Resent-*, …) and, through `mapAddress`, a connector's typed fields (organizers,
 * attendees, permission holders). Everything else in the message is left byte for byte.
 */
import { Readable } from 'node:stream';
import type { SourceMessage } from './connector.js';
import type { RecipientMappingRule } from './support-options.js';

/** Header fields whose values are address lists (RFC 5322 §3.6.2–3.6.6 and common extensions). */
const ADDRESS_HEADERS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'disposition-notification-to',
  'return-receipt-to',
  'mail-followup-to',
  'mail-reply-to',
]);
/** A header block larger than this is not a header block: the message is left as it is. */
const MAX_HEADER_BYTES = 1024 * 1024;
const ADDRESS = /([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;

/** The mapped address, or the address itself when no rule applies. An address rule beats a domain rule. */
export function mapAddress(address: string, rules: readonly RecipientMappingRule[]): string {
  const lower = address.toLowerCase();
  const exact = rules.find((r) => !r.from.startsWith('@') && r.from === lower);
  if (exact) return exact.to;
  const at = lower.lastIndexOf('@');
  if (at < 0) return address;
  const domainRule = rules.find((r) => r.from.startsWith('@') && r.from === lower.slice(at));
  return domainRule ? `${address.slice(0, at)}${domainRule.to}` : address;
}

/**
 * Rewrites the address headers of an Internet message. Returns undefined when nothing changed
 * (the caller keeps the original bytes). Folded header lines stay folded; only addresses change.
 */
export function mapMessageHeaders(message: Buffer, rules: readonly RecipientMappingRule[]): Buffer | undefined {
  if (rules.length === 0) return undefined;
  const end = headerEnd(message);
  if (end < 0) return undefined;
  // latin1 maps each byte to one char and back: non-ASCII header bytes survive untouched.
  const header = message.subarray(0, end).toString('latin1');
  const mapped = mapHeaderBlock(header, rules);
  if (mapped === header) return undefined;
  return Buffer.concat([Buffer.from(mapped, 'latin1'), message.subarray(end)]);
}

/**
 * The same for a message of any size. A streamed message's header block is read first, so the
 * returned message announces its new exact size; the body streams on untouched.
 */
export async function mapSourceMessage(message: SourceMessage, rules: readonly RecipientMappingRule[]): Promise<SourceMessage> {
  if (rules.length === 0 || (message.format ?? 'rfc822') !== 'rfc822') return message;
  if (Buffer.isBuffer(message.content)) {
    const mapped = mapMessageHeaders(message.content, rules);
    return mapped ? { ...message, content: mapped, ref: { ...message.ref, size: mapped.length } } : message;
  }
  const chunks = (await message.content())[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const { head, rest } = await readHead(chunks);
  const mapped = Buffer.from(mapHeaderBlock(head.toString('latin1'), rules), 'latin1');
  const size = message.ref.size - head.length + mapped.length;
  let used = false;
  return {
    ...message,
    ref: { ...message.ref, size },
    content: async () => {
      if (used) throw new Error('A mapped message stream can be read once.');
      used = true;
      return prepend(mapped, rest, chunks);
    },
  };
}

function mapHeaderBlock(header: string, rules: readonly RecipientMappingRule[]): string {
  // Split into fields: a line starting with white space continues the previous field.
  const lines = header.split(/(?<=\n)/);
  let out = '';
  let field = '';
  const flush = () => {
    const colon = field.indexOf(':');
    const name = colon > 0 ? field.slice(0, colon).trim().toLowerCase() : '';
    out += ADDRESS_HEADERS.has(name)
      ? field.slice(0, colon + 1) + field.slice(colon + 1).replace(ADDRESS, (whole) => mapAddress(whole, rules))
      : field;
    field = '';
  };
  for (const line of lines) {
    if (field && !/^[ \t]/.test(line)) flush();
    field += line;
  }
  flush();
  return out;
}

/** Offset of the blank line that ends the header block (the blank line stays with the body), or -1. */
function headerEnd(message: Buffer): number {
  const limit = Math.min(message.length, MAX_HEADER_BYTES);
  const window = message.subarray(0, limit);
  const crlf = window.indexOf('\r\n\r\n');
  const lf = window.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (crlf < 0) return lf + 1;
  if (lf < 0) return crlf + 2;
  return Math.min(crlf + 2, lf + 1);
}

/**
 * Reads from `chunks` until the header block ends (or MAX_HEADER_BYTES): `head` holds it, `rest`
 * what followed in the same chunks; the iterator goes on with the remainder of the message.
 */
async function readHead(chunks: AsyncIterator<Buffer>): Promise<{ head: Buffer; rest: Buffer }> {
  let all = Buffer.alloc(0);
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    all = Buffer.concat([all, next.value]);
    const end = headerEnd(all);
    if (end >= 0) return { head: all.subarray(0, end), rest: all.subarray(end) };
    if (all.length >= MAX_HEADER_BYTES) break;
  }
  return { head: Buffer.alloc(0), rest: all };
}

function prepend(head: Buffer, rest: Buffer, chunks: AsyncIterator<Buffer>): Readable {
  return Readable.from(
    (async function* () {
      yield head;
      if (rest.length) yield rest;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    })(),
  );
}
