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

import { scanBase64Elements } from './payload-scanner.js';

/** How much of a response after the element we keep (to read the item's other fields, or an error). */
const OUTSIDE_KEEP = 2 * 1024 * 1024;

export interface Extracted {
  /** Temp file holding the decoded bytes, when the element was found. */
  file?: string;
  bytes: number;
  /** The response text outside the element (the whole response when there was no element). */
  outside: string;
  /** Attributes of the element's start tag (e.g. CharacterSet). */
  startTag?: string;
}

/** Decodes the first `<prefix:local …>` element's base64 text from `source` into a temp file (payload-scanner.ts). */
export async function extractBase64Element(source: Readable, locals: string[]): Promise<Extracted> {
  let outside = '';
  let bytes = 0;
  let file: string | undefined;
  let out: ReturnType<typeof createWriteStream> | undefined;
  let startTag: string | undefined;
  try {
    for await (const event of scanBase64Elements(source as AsyncIterable<Buffer>, locals, 1)) {
      if (event.type === 'text') {
        if (!file || outside.length < OUTSIDE_KEEP) outside += event.text;
      } else if (event.type === 'open') {
        startTag = event.attributes;
        file = join(tmpdir(), `mailferry-ews-${randomUUID()}.bin`);
        out = createWriteStream(file);
      } else if (event.type === 'bytes') {
        bytes += event.bytes.length;
        if (!out!.write(event.bytes)) await new Promise<void>((r) => out!.once('drain', () => r()));
      }
    }
  } catch (err) {
    // A cut-off answer (the response ended inside the element) is not an item.
    if (out) await closeStream(out).catch(() => undefined);
    if (file) await fs.rm(file, { force: true });
    throw err;
  }
  if (out) await closeStream(out);
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
