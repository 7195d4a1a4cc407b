/**
 * The one reader of item contents in EWS responses. Items travel as base64 element text
 * (`m:Data` in ExportItems, `t:MimeContent` in GetItem); decoding it while the response streams
 * keeps a 100 MB item from ever becoming a string or a DOM. Two consumers share this scanner:
 * `scanPayloads` (every batch answer: contents into memory, a placeholder left in the text) and
 * the large-item path (`extractBase64Element` in stream-base64.ts: one element into a temp file).
 * They used to be two scanners that had to be fixed twice (a start tag split across chunks, a
 * line break sent as `&#xD;`, a self-closing element).
 */
import { ConnectionError } from '../../core/errors.js';

/** What the scanner sees, in document order. Text is latin1 (one char per byte) so UTF-8 survives any split. */
export type ScanEvent =
  | { type: 'text'; text: string }
  | { type: 'open'; tag: string; attributes?: string }
  | { type: 'bytes'; bytes: Buffer }
  | { type: 'close' };

/** How much of the text outside payloads is held back in case a start tag is split across chunks. */
const TAG_TAIL = 256;

/**
 * The base64 text of an XML element arriving in pieces, decoded as it comes: white space and
 * character references (a line break sent as `&#xD;`) are dropped, even when a piece ends inside
 * one. `push` returns the bytes decodable so far; `end` the last ones.
 */
export class Base64TextDecoder {
  private carry = '';

  push(text: string): Buffer | undefined {
    let data = this.carry + text;
    let entity = '';
    const amp = data.lastIndexOf('&');
    if (amp >= 0 && data.indexOf(';', amp) < 0) [data, entity] = [data.slice(0, amp), data.slice(amp)];
    const clean = data.replace(/&#x?[0-9a-fA-F]+;/g, '').replace(/[^A-Za-z0-9+/=]/g, '');
    const usable = clean.length - (clean.length % 4);
    this.carry = clean.slice(usable) + entity;
    return usable ? Buffer.from(clean.slice(0, usable), 'base64') : undefined;
  }

  end(): Buffer | undefined {
    return this.carry ? this.push('='.repeat((4 - (this.carry.length % 4)) % 4)) : undefined;
  }
}

/**
 * Scans `source` for elements named `locals` (any prefix) and decodes their base64 text; at most
 * `maxElements` of them, the rest of the response passing as text. A self-closing element is text.
 */
export async function* scanBase64Elements(
  source: AsyncIterable<Buffer | string>,
  locals: readonly string[],
  maxElements = Infinity,
): AsyncGenerator<ScanEvent> {
  const start = new RegExp(`<((?:[A-Za-z0-9_.-]+:)?(?:${locals.join('|')}))(\\s[^>]*)?>`);
  let window = '';
  let decoder: Base64TextDecoder | undefined;
  let found = 0;
  const bytes = (decoded: Buffer | undefined): ScanEvent[] => (decoded ? [{ type: 'bytes', bytes: decoded }] : []);
  for await (const raw of source) {
    window += typeof raw === 'string' ? Buffer.from(raw).toString('latin1') : raw.toString('latin1');
    for (;;) {
      if (decoder) {
        const end = window.indexOf('<');
        if (end < 0) {
          yield* bytes(decoder.push(window));
          window = '';
          break;
        }
        yield* bytes(decoder.push(window.slice(0, end)));
        yield* bytes(decoder.end());
        yield { type: 'close' };
        decoder = undefined;
        window = window.slice(end);
        continue;
      }
      const m = found < maxElements ? start.exec(window) : null;
      if (!m || m[0].endsWith('/>')) {
        const upTo = m ? m.index + m[0].length : Math.max(0, window.length - TAG_TAIL);
        if (upTo > 0) yield { type: 'text', text: window.slice(0, upTo) };
        window = window.slice(upTo);
        if (!m) break;
        continue;
      }
      if (m.index > 0) yield { type: 'text', text: window.slice(0, m.index) };
      yield { type: 'open', tag: m[0], attributes: m[2] };
      window = window.slice(m.index + m[0].length);
      decoder = new Base64TextDecoder();
      found++;
    }
  }
  if (decoder) throw new ConnectionError('The EWS response ended in the middle of an item.');
  if (window) yield { type: 'text', text: window };
}

export const PAYLOAD_MARK = 'mailferry-payload-';

/**
 * Reads a response, decoding the base64 content of every `Data` (ExportItems) and `MimeContent`
 * (GetItem) element as it streams and leaving a placeholder in the text. The text the XML parser
 * then sees is a few KB whatever the items weigh, and no response-sized string is ever built: a
 * 10 MB ExportItems answer used to become a 10 MB string, then several more in the parser's
 * entity and line-ending passes, for each batch in flight.
 */
export async function scanPayloads(source: AsyncIterable<Buffer | string>): Promise<{ body: string; payloads: Buffer[] }> {
  const payloads: Buffer[] = [];
  let text = '';
  let parts: Buffer[] = [];
  for await (const event of scanBase64Elements(source, ['Data', 'MimeContent'])) {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'open') text += event.tag + PAYLOAD_MARK + payloads.length;
    else if (event.type === 'bytes') parts.push(event.bytes);
    else {
      payloads.push(Buffer.concat(parts));
      parts = [];
    }
  }
  return { body: Buffer.from(text, 'latin1').toString('utf8'), payloads };
}
