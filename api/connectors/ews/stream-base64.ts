/**
 * The big-item path: the base64 text of one element (`t:MimeContent` in GetItem, `m:Data` in
 * ExportItems) decoded straight off the HTTP response into a temporary file, so a 100 MB item
 * is never one string or one DOM; and the reverse for writes, a request body streamed from a
 * file with the base64 produced chunk by chunk.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

const TAIL_KEEP = 256;
/** How much of a response before the element we keep (to parse an error message when there is no element). */
const PREFIX_KEEP = 1024 * 1024;

export interface Extracted {
  /** Temp file holding the decoded bytes, when the element was found. */
  file?: string;
  bytes: number;
  /** The response text outside the element (the whole response when there was no element). */
  outside: string;
  /** Attributes of the element's start tag (e.g. CharacterSet). */
  startTag?: string;
}

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

/** Decodes the first `<prefix:local …>` element's base64 text from `source` into a temp file. */
export async function extractBase64Element(source: Readable, locals: string[]): Promise<Extracted> {
  const startPattern = new RegExp(`<(?:[A-Za-z0-9_.-]+:)?(?:${locals.join('|')})(\\s[^>]*)?>`);
  let phase: 'seek' | 'data' | 'after' = 'seek';
  let seek = '';
  let outside = '';
  let bytes = 0;
  let file: string | undefined;
  let out: ReturnType<typeof createWriteStream> | undefined;
  let startTag: string | undefined;
  const decoder = new Base64TextDecoder();
  const write = async (decoded: Buffer | undefined): Promise<void> => {
    if (!decoded) return;
    bytes += decoded.length;
    if (!out!.write(decoded)) await new Promise<void>((r) => out!.once('drain', () => r()));
  };
  try {
    for await (const chunk of source) {
      let s = (chunk as Buffer).toString('latin1');
      while (s.length > 0) {
        if (phase === 'seek') {
          seek += s;
          s = '';
          const m = startPattern.exec(seek);
          if (m) {
            if (m[0].endsWith('/>')) continue;
            outside += seek.slice(0, m.index);
            startTag = m[1];
            s = seek.slice(m.index + m[0].length);
            seek = '';
            phase = 'data';
            file = join(tmpdir(), `mailferry-ews-${randomUUID()}.bin`);
            out = createWriteStream(file);
          } else if (seek.length > PREFIX_KEEP) {
            outside += seek.slice(0, seek.length - TAIL_KEEP);
            seek = seek.slice(-TAIL_KEEP);
          }
        } else if (phase === 'data') {
          const end = s.indexOf('<');
          if (end < 0) {
            await write(decoder.push(s));
            s = '';
          } else {
            await write(decoder.push(s.slice(0, end)));
            await write(decoder.end());
            phase = 'after';
            outside += s.slice(end);
            s = '';
          }
        } else {
          if (outside.length < PREFIX_KEEP * 2) outside += s;
          s = '';
        }
      }
    }
  } catch (err) {
    if (out) await closeStream(out);
    if (file) await fs.rm(file, { force: true });
    throw err;
  }
  if (phase === 'seek') outside += seek;
  if (out) await closeStream(out);
  if (phase === 'data') {
    // The response ended inside the element: a cut-off answer, not an item.
    if (file) await fs.rm(file, { force: true });
    throw Object.assign(new Error('The EWS response ended in the middle of an item.'), { code: 'ECONNRESET' });
  }
  return { file, bytes, outside: Buffer.from(outside, 'latin1').toString('utf8'), startTag };
}

function closeStream(out: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** A read stream of a spooled file that deletes the file once read or abandoned; it can be opened once. */
export async function spooledStream(file: string): Promise<Readable> {
  try {
    await fs.access(file);
  } catch {
    throw new Error('This large item was already read once (its spooled copy is gone); read it again from the source.');
  }
  const stream = createReadStream(file);
  const remove = () => void fs.rm(file, { force: true }).catch(() => undefined);
  stream.once('close', remove);
  return stream;
}

/** Spools a stream to a temp file (to learn its size before announcing it). */
export async function spool(source: Readable): Promise<{ file: string; bytes: number }> {
  const file = join(tmpdir(), `mailferry-ews-${randomUUID()}.bin`);
  const out = createWriteStream(file);
  let bytes = 0;
  try {
    for await (const chunk of source) {
      bytes += (chunk as Buffer).length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await closeStream(out);
  } catch (err) {
    out.destroy();
    await fs.rm(file, { force: true });
    throw err;
  }
  return { file, bytes };
}

/** Base64 of a byte stream, produced in chunks (3-byte aligned), for a streamed request body. */
export async function* base64Chunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = Buffer.alloc(0);
  for await (const chunk of source) {
    const buf = Buffer.concat([rest, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    const usable = buf.length - (buf.length % 3);
    rest = buf.subarray(usable);
    if (usable > 0) yield buf.subarray(0, usable).toString('base64');
  }
  if (rest.length) yield rest.toString('base64');
}
