/**
 * Pipelined APPEND on our own connection (imap-wire.ts). With LITERAL+ (RFC 7888 §3) each
 * message goes out as `{N+}` without waiting for the server, keeping a bounded window of
 * commands and bytes in flight; without it we wait for each `+` continuation but still send
 * the next APPEND before the previous tagged response arrives (RFC 3501 §5.5).
 * Results come back in input order: a rejected item is a result, a lost connection throws.
 */
import type { Readable } from 'node:stream';
import type { AppendResult, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, ItemTooLargeError, MailferryError, ensureError } from '../../core/errors.js';
import type { ImapWire, TaggedResponse } from './imap-wire.js';
import { encodeMailboxName, formatFlags, formatInternalDate, quote } from './imap-syntax.js';
import { throttledFromText } from './throttle.js';

export interface PipelineOptions {
  maxCommandsInFlight: number;
  maxBytesInFlight: number;
}

/** Bytes in flight bound memory (see DEFAULT_READ_OPTIONS); 4 MB kept the bench's rate. */
export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  maxCommandsInFlight: 32,
  maxBytesInFlight: 4 * 1024 * 1024,
};

/** RFC 7888 §4: LITERAL- servers accept non-synchronizing literals up to 4096 bytes only. */
const LITERAL_MINUS_MAX_BYTES = 4096;

/** Small messages are sent with their command in one socket write. */
/** How long a broken pipeline waits for answers to the APPENDs sent before the break. */
const ABORT_DRAIN_MS = 10_000;
const COALESCE_MAX_BYTES = 256 * 1024;
const CRLF = Buffer.from('\r\n');

/** Size refusals: RFC 7889 TOOBIG, and the words servers use with a plain NO or RFC 5530 LIMIT. */
const TOO_LARGE_TEXT = /too (large|big)|size|exceed|maximum|limit/i;

type Settled = { response: TaggedResponse } | { error: MailferryError };

interface InFlight {
  message: SourceMessage;
  bytes: number;
  settled?: Settled;
  outcome: Promise<Settled>;
}

export async function* appendPipeline(
  wire: ImapWire,
  path: string,
  messages: AsyncIterable<SourceMessage>,
  options: PipelineOptions = DEFAULT_PIPELINE_OPTIONS,
): AsyncGenerator<AppendResult> {
  const mailbox = quote(encodeMailboxName(path));
  await selectTarget(wire, path, mailbox);
  const window: InFlight[] = [];
  let bytesInFlight = 0;
  const release = async (): Promise<AppendResult> => {
    const head = window.shift()!;
    bytesInFlight -= head.bytes;
    return toResult(head.message, await head.outcome, wire);
  };

  try {
    for await (const message of messages) {
      const bytes = contentLength(message);
      while (
        window.length > 0 &&
        (window.length >= options.maxCommandsInFlight || bytesInFlight + bytes > options.maxBytesInFlight)
      ) {
        yield await release();
      }
      const entry = await send(wire, mailbox, message, bytes);
      window.push(entry);
      bytesInFlight += bytes;
      // Hand back what the server already answered, so the ledger can commit early.
      while (window.length > 0 && window[0]!.settled) yield await release();
    }
    while (window.length > 0) yield await release();
  } catch (err) {
    if (err instanceof StreamAbort) {
      // Commands sent before the broken literal are complete on the wire: let the server answer
      // them (bounded wait), then drop the connection that the half-sent literal has desynchronised.
      await Promise.race([Promise.all(window.map((e) => e.outcome)), delay(ABORT_DRAIN_MS)]);
      wire.destroy(err);
    }
    // Before giving up, report the writes the server confirmed before the failure: they are
    // stored, and the ledger should know them without a listRange recovery.
    while (window.length > 0 && window[0]!.settled && 'response' in window[0]!.settled) {
      const result = await release().catch(() => undefined);
      if (!result) break;
      yield result;
    }
    throw err;
  }
}

/** The mailbox each writer connection has selected, so a folder is selected once, not per batch. */
const selectedOn = new WeakMap<ImapWire, string>();

/**
 * APPEND works on any mailbox, selected or not (RFC 3501 §6.3.11), but servers such as Dovecot
 * open and close an unselected target for every message. Selecting it first keeps it open:
 * 2–4× more APPENDs per second in `npm run bench`. A refused SELECT (no right to read, say) is
 * not fatal: the APPENDs then report their own errors.
 */
async function selectTarget(wire: ImapWire, path: string, mailbox: string): Promise<void> {
  if (selectedOn.get(wire) === path) return;
  const response = await wire.run(`SELECT ${mailbox}`);
  if (response.status === 'OK') selectedOn.set(wire, path);
  else selectedOn.delete(wire);
}

function contentLength(message: SourceMessage): number {
  return Buffer.isBuffer(message.content) ? message.content.length : message.ref.size;
}

async function send(wire: ImapWire, mailbox: string, message: SourceMessage, bytes: number): Promise<InFlight> {
  const tag = wire.nextTag();
  const done = wire.expect(tag);
  const entry: InFlight = {
    message,
    bytes,
    outcome: done.then(
      (response) => (entry.settled = { response }),
      (err: unknown) => (entry.settled = { error: ensureError(err) }),
    ),
  };
  const caps = wire.capabilities;
  const nonSync = caps.has('LITERAL+') || (caps.has('LITERAL-') && bytes <= LITERAL_MINUS_MAX_BYTES);
  const head =
    `${tag} APPEND ${mailbox} ${formatFlags(message.ref.flags)} ${formatInternalDate(message.ref.internalDate)} ` +
    `{${bytes}${nonSync ? '+' : ''}}\r\n`;
  if (nonSync && Buffer.isBuffer(message.content) && bytes <= COALESCE_MAX_BYTES) {
    // One write per small message: separate head/body/CRLF segments cost a round of
    // delayed-ACK waits on some stacks and halve the rate on loopback.
    await wire.write(Buffer.concat([Buffer.from(head, 'latin1'), message.content, CRLF]));
    return entry;
  }
  if (nonSync) {
    await wire.write(head);
  } else {
    const go = wire.expectContinuation();
    await wire.write(head);
    // The server may refuse before the literal (e.g. a size limit): then no body is sent.
    const first = await Promise.race([done.then(() => 'tagged' as const, () => 'tagged' as const), go.promise.then(() => 'go' as const)]);
    if (first === 'tagged') {
      go.cancel();
      return entry;
    }
  }
  await writeBody(wire, message, bytes);
  await wire.write('\r\n');
  return entry;
}

async function writeBody(wire: ImapWire, message: SourceMessage, bytes: number): Promise<void> {
  if (Buffer.isBuffer(message.content)) {
    await wire.write(message.content);
    return;
  }
  let stream: Readable;
  try {
    stream = await message.content();
  } catch (err) {
    // The literal size is already announced; the connection cannot be resynchronised.
    throw new StreamAbort(`could not open the source stream for UID ${message.ref.uid}: ${ensureError(err).message}`, err);
  }
  let written = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      written += buf.length;
      if (written > bytes) break;
      await wire.write(buf);
    }
  } catch (err) {
    throw new StreamAbort(`the source stream for UID ${message.ref.uid} failed after ${written} bytes: ${ensureError(err).message}`, err);
  }
  if (written !== bytes) {
    stream.destroy();
    throw new StreamAbort(
      `the source stream for UID ${message.ref.uid} gave ${written > bytes ? 'more than' : 'only'} ${written} bytes, ` +
        `but its size is ${bytes} bytes (RFC822.SIZE); the connection was dropped to avoid storing a damaged message`,
    );
  }
}

/** A source stream broke mid-literal; the pipeline drains earlier results, then drops the wire. */
class StreamAbort extends MailferryError {
  constructor(why: string, cause?: unknown) {
    super('internal', `APPEND aborted: ${why}.`, { cause });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function toResult(message: SourceMessage, settled: Settled, wire: ImapWire): AppendResult {
  const { ref } = message;
  if ('error' in settled) throw settled.error;
  const { response } = settled;
  if (response.status === 'OK') {
    // RFC 4315 §3 APPENDUID uidvalidity uid. Without UIDPLUS the id stays unknown and the
    // engine falls back to listRange.
    const [validity, uid] = response.code === 'APPENDUID' ? (response.codeArgs ?? '').split(' ') : [];
    return { ref, destId: validity && uid ? `${validity}:${uid}` : undefined };
  }
  const said = `${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim();
  // Microsoft 365 throttles with NO/BAD text; everything after it would be refused too.
  const throttled = throttledFromText(response.text, `${wire.where()}: APPEND`);
  if (throttled) throw throttled;
  // OVERQUOTA (RFC 5530 §3) is a full mailbox, not an oversize message.
  const tooLarge = response.code === 'TOOBIG' || (response.code !== 'OVERQUOTA' && TOO_LARGE_TEXT.test(response.text));
  if (response.status === 'NO' && tooLarge) {
    return { ref, error: new ItemTooLargeError(`The destination refused the message (${ref.size} bytes) as too large: ${said}`) };
  }
  return { ref, error: new ItemRejectedError(`The destination refused the message: ${said}`) };
}
