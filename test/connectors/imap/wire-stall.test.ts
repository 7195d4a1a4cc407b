/**
 * Our own IMAP connection's progress deadline (imap-wire.ts, ImapStallSeconds): a server that
 * owes an answer and stops sending fails the command with a sentence naming what it did, and
 * the connection is closed; a slow server that keeps sending, and time spent waiting for our own
 * source in the middle of a literal, never trip it. Scripted servers on loopback; the deadline is
 * shortened through the address's `stallMs`, and the one wait longer than it runs on fake time.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImapWire } from '../../../api/connectors/imap/imap-wire.js';
import { parseResponse } from '../../../api/connectors/imap/imap-response.js';
import { OPEN_OUTBOUND } from '../../../api/connectors/outbound-policy.js';
import type { MailferryError } from '../../../api/core/errors.js';
import { Prng } from '../../bench/prng.js';
import { waitUntil } from '../../support/wait-until.js';

/** Answers each command line the way `answer` says; `closed` tells when our side hung up. */
async function scriptedServer(answer: (line: string, socket: net.Socket) => void) {
  const state = { closed: false, lines: [] as string[] };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => (state.closed = true));
    socket.write('* OK [CAPABILITY IMAP4rev1 LITERAL+] scripted\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        state.lines.push(line);
        answer(line, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    open: (stallMs: number) =>
      ImapWire.open({ host: '127.0.0.1', port, security: 'none', allowSelfSigned: false, outbound: OPEN_OUTBOUND, stallMs }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const tagOf = (line: string) => line.split(' ')[0]!;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: MailferryError) => e,
  );

describe('the IMAP connection gives up on a server that stops answering', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const close of closers.splice(0)) await close();
  });

  it('a literal announced bigger than what follows fails its command, names the server and what it did, and closes the connection', async () => {
    const server = await scriptedServer((line, socket) => {
      if (line.includes('FETCH')) socket.write('* 1 FETCH (UID 7 BODY[] {100}\r\nFrom: ten b\r\n');
    });
    closers.push(server.close);
    const wire = await server.open(300);
    const error = await failure(wire.run('UID FETCH 7 (UID BODY.PEEK[])'));
    expect(error?.code).toBe('connection');
    // The same command would stall again: the item fails with the reason instead of reconnecting.
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(
      /^IMAP 127\.0\.0\.1:\d+: the server sent nothing for [\d.]+ s while Mailferry waited for its answer to UID FETCH/,
    );
    expect(error?.message).toContain('it had announced a literal of 100 bytes and sent 13 of them');
    expect(error?.message).toContain('ImapStallSeconds');
    expect(wire.closed).toBe(true);
    await waitUntil('the server to see the connection closed', () => server.state.closed);
  });

  it('8-bit garbage instead of an answer does not crash the reader; the stall names the lines that were no IMAP', async () => {
    const prng = new Prng(20_261_205);
    const garbage = () => Buffer.from(Array.from({ length: 512 }, () => prng.int(0x80, 0xff)));
    const server = await scriptedServer((line, socket) => {
      if (!line.includes('FETCH')) return;
      // Garbage where the FETCH data should be, a line of nothing but garbage, then half a line.
      socket.write(
        Buffer.concat([Buffer.from('* 1 FETCH (UID 1 '), garbage(), Buffer.from('\r\n'), garbage(), Buffer.from('\r\n'), garbage()]),
      );
    });
    closers.push(server.close);
    const wire = await server.open(300);
    const error = await failure(wire.run('UID FETCH 1 (UID BODY.PEEK[])'));
    expect(error?.message).toContain('it had stopped in the middle of a line (512 bytes without a line end)');
    expect(error?.message).toContain('before that it sent 1 line that are no IMAP response');
    expect(wire.closed).toBe(true);
  });

  it('a slow server that keeps sending is waited for, however long the whole answer takes', async () => {
    const body = Buffer.alloc(600, 'x');
    const server = await scriptedServer((line, socket) => {
      if (!line.includes('FETCH')) return;
      socket.write(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n`);
      // 30 bytes every 20 ms: the answer takes 20 times longer than any silence in it.
      let at = 0;
      const timer = setInterval(() => {
        if (at < body.length) {
          socket.write(body.subarray(at, at + 30));
          at += 30;
        } else {
          clearInterval(timer);
          socket.write(`)\r\n${tagOf(line)} OK done\r\n`);
        }
      }, 20);
    });
    closers.push(server.close);
    const wire = await server.open(1_000);
    const bodies: Buffer[] = [];
    wire.onUntagged((response) => bodies.push(...response.literals));
    expect((await wire.run('UID FETCH 1 (UID BODY.PEEK[])')).status).toBe('OK');
    expect(Buffer.concat(bodies).equals(body)).toBe(true);
    wire.close();
  });

  it('time spent reading our own source in the middle of a literal is not the server stalling', async () => {
    const server = await scriptedServer(() => undefined); // never answers: only the deadline ends the wait
    closers.push(server.close);
    const wire = await server.open(1_000);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const tag = wire.nextTag();
    const done = failure(wire.expect(tag, 'APPEND'));
    await wire.write(`${tag} APPEND INBOX {5+}\r\n`);
    let sourceReady!: (chunk: string) => void;
    const source = wire.whileFeeding(new Promise<string>((resolve) => (sourceReady = resolve)));
    vi.advanceTimersByTime(10_000); // ten deadlines while the source is slow
    expect(wire.closed).toBe(false);
    sourceReady('hello');
    await wire.write(`${await source}\r\n`);
    await waitUntil('the server to get the whole command', () => server.state.lines.includes('hello'));
    vi.advanceTimersByTime(1_500); // now the server owes the answer
    const error = await done;
    expect(error?.message).toContain('its answer to APPEND');
    expect(wire.closed).toBe(true);
  });

  it('the tokenizer reads any bytes, 8-bit, unbalanced or cut, without throwing', () => {
    const prng = new Prng(20_261_205);
    const alphabet = ['(', ')', '"', '\\', '{', '}', '[', ']', ' ', 'NIL', '{12}', 'BODY[', 'A'];
    for (let i = 0; i < 500; i++) {
      const parts = Array.from({ length: prng.int(1, 4) }, () =>
        Array.from({ length: prng.int(0, 40) }, () =>
          prng.chance(0.5) ? alphabet[prng.int(0, alphabet.length - 1)]! : String.fromCharCode(prng.int(0x80, 0xff)),
        ).join(''),
      );
      const literals = parts.slice(1).map(() => Buffer.from([prng.int(0, 255)]));
      expect(() => parseResponse({ parts, literals })).not.toThrow();
    }
    expect(parseResponse({ parts: ['1 FETCH (UID 1 BODY[] ', ')'], literals: [Buffer.from('x')] }).whole).toBe(true);
    expect(parseResponse({ parts: ['1 FETCH (UID 1 BODY[] ', 'ne 39'], literals: [Buffer.from('x')] }).whole).toBe(false);
    expect(parseResponse({ parts: ['1 FETCH (UID 1))'], literals: [] }).whole).toBe(false);
  });
});
