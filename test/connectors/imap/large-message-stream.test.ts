/**
 * A large message is one `UID FETCH uid (UID BODY.PEEK[])` whose literal streams to the writer as
 * it arrives (read-messages.ts streamMessage, imap-wire.ts routeLiterals): byte for byte, with the
 * connection reading no further while the writer is behind; a server that names the UID after the
 * body still gets its message copied (read whole), and a message gone since the listing fails
 * with a reason. Scripted servers on loopback.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ImapWire } from '../../../api/connectors/imap/imap-wire.js';
import { DEFAULT_READ_OPTIONS, readMessages, type ReadResult } from '../../../api/connectors/imap/read-messages.js';
import { OPEN_OUTBOUND } from '../../../api/connectors/outbound-policy.js';
import type { FolderInfo, MessageRef, SourceMessage } from '../../../api/core/connector.js';
import { ensureError } from '../../../api/core/errors.js';
import { Prng } from '../../bench/prng.js';
import { waitUntil } from '../../support/wait-until.js';

const INBOX: FolderInfo = { path: 'INBOX', segments: ['INBOX'], separator: '/', noSelect: false };
const SIZE = 24 * 1024 * 1024;

function message(size: number, seed: number): Buffer {
  const rng = new Prng(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = rng.int(0, 255);
  return bytes;
}

/** Answers EXAMINE, then each FETCH with `answer`'s bytes (written in 64 KB pieces, as a server streams). */
async function scriptedServer(answer: (uid: number) => Buffer[] | undefined) {
  const sockets = new Set<net.Socket>();
  const state = { serverSide: undefined as net.Socket | undefined };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    state.serverSide = socket;
    socket.on('error', () => undefined);
    socket.write('* OK [CAPABILITY IMAP4rev1 LITERAL+] scripted\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const [tag, verb] = line.split(' ');
        if (verb === 'EXAMINE') socket.write(`* 1 EXISTS\r\n${tag} OK [READ-ONLY] done\r\n`);
        else if (/UID FETCH (\d+)/.test(line)) {
          for (const part of answer(Number(/UID FETCH (\d+)/.exec(line)![1])) ?? []) {
            for (let at = 0; at < part.length; at += 64 * 1024) socket.write(part.subarray(at, at + 64 * 1024));
          }
          socket.write(`${tag} OK done\r\n`);
        } else socket.write(`${tag} OK done\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    open: () => ImapWire.open({ host: '127.0.0.1', port, security: 'none', allowSelfSigned: false, outbound: OPEN_OUTBOUND }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const ref = (uid: number, size: number): MessageRef => ({ key: `1:${uid}`, uid, size, internalDate: 0, flags: [], itemType: 'mail' });

async function readOne(wire: ImapWire, target: MessageRef): Promise<ReadResult> {
  const options = { ...DEFAULT_READ_OPTIONS, largeMessageBytes: 1024 };
  for await (const result of readMessages(wire, async () => wire, INBOX, [target], ensureError, options)) return result;
  throw new Error('nothing read');
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('a large message streams from its FETCH', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('byte for byte, and the connection reads no further while the writer is behind', async () => {
    const body = message(SIZE, 1);
    const server = await scriptedServer((uid) => [
      Buffer.from(`* 1 FETCH (UID ${uid} BODY[] {${body.length}}\r\n`),
      body,
      Buffer.from(')\r\n'),
    ]);
    closers.push(server.close);
    const wire = await server.open();
    const result = (await readOne(wire, ref(5, SIZE))) as SourceMessage;
    expect(typeof result.content).toBe('function');
    const stream = await (result.content as () => Promise<Readable>)();
    // Nobody reads: the server's bytes back up on its side instead of into our memory.
    await waitUntil(
      'the server to hold bytes our paused connection does not read',
      () => (server.state.serverSide?.writableLength ?? 0) > 0,
      {
        timeoutMs: 20_000,
      },
    );
    expect(stream.readableLength).toBeLessThanOrEqual(DEFAULT_READ_OPTIONS.streamBufferBytes + 64 * 1024);
    expect((await drain(stream)).equals(body)).toBe(true);
    // The connection is usable afterwards: the tagged answer came, nothing is left half read.
    expect((await wire.run('NOOP')).status).toBe('OK');
    wire.close();
  });

  it('read whole when the server names the UID after the body', async () => {
    const body = message(300 * 1024, 2);
    const server = await scriptedServer((uid) => [
      Buffer.from(`* 1 FETCH (BODY[] {${body.length}}\r\n`),
      body,
      Buffer.from(` UID ${uid})\r\n`),
    ]);
    closers.push(server.close);
    const wire = await server.open();
    const result = (await readOne(wire, ref(6, body.length))) as SourceMessage;
    const stream = await (result.content as () => Promise<Readable>)();
    expect((await drain(stream)).equals(body)).toBe(true);
    wire.close();
  });

  it('fails with a reason when the message is gone since the listing', async () => {
    const server = await scriptedServer(() => undefined);
    closers.push(server.close);
    const wire = await server.open();
    const result = (await readOne(wire, ref(7, 2 * 1024 * 1024))) as SourceMessage;
    const stream = await (result.content as () => Promise<Readable>)();
    const error = await drain(stream).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/UID 7 is no longer in "INBOX"/);
    wire.close();
  });
});
