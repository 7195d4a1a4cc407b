/**
 * A hostile IMAP server built on a real one: a TCP proxy in front of Dovecot that passes every
 * connection through untouched, except connections that sign in to a mailbox named in `modes`.
 * Those get Dovecot's answers spoiled the way broken or malicious servers spoil them: literal
 * sizes that lie, a connection cut in the middle of a message, 8-bit garbage instead of a FETCH
 * response, or a message that never ends. The same pass can then hold healthy and hostile items.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Prng } from '../bench/prng.js';

export type HostileMode = 'wrong-literal-size' | 'truncated' | 'garbage' | 'never-ending';

export interface HostileImapProxy {
  host: string;
  port: number;
  /** Connections that signed in to a hostile mailbox, by mode. */
  spoiled: Record<HostileMode, number>;
  close(): Promise<void>;
}

/** A FETCH response carrying a message: `* 12 FETCH (UID 7 BODY[] {1234}`. */
const BODY_LITERAL = /BODY\[\] \{(\d+)\}\r\n/;
const BODY_LITERALS = /BODY\[\] \{(\d+)\}\r\n/g;
const SASL_TOKEN = /[A-Za-z0-9+/]{8,}={0,2}/g;
const TRICKLE_MS = 200;
const DECLARED_NEVER_ENDING_BYTES = 2_000_000_000;

export async function startHostileImapProxy(
  upstream: { host: string; port: number },
  modes: Record<string, HostileMode>,
  seed: number,
): Promise<HostileImapProxy> {
  const spoiled: Record<HostileMode, number> = { 'wrong-literal-size': 0, truncated: 0, garbage: 0, 'never-ending': 0 };
  const prng = new Prng(seed);
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((client) => {
    const dovecot = net.connect(upstream.port, upstream.host);
    for (const s of [client, dovecot]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        dovecot.destroy();
      });
    }
    let mode: HostileMode | undefined;
    client.on('data', (chunk: Buffer) => {
      mode ??= modeOfLogin(chunk.toString('latin1'), modes);
      if (mode && spoiled[mode] !== undefined && !(client as { counted?: boolean }).counted) {
        (client as { counted?: boolean }).counted = true;
        spoiled[mode]++;
      }
      dovecot.write(chunk);
    });
    dovecot.on('data', (chunk: Buffer) => {
      if (!mode || !BODY_LITERAL.test(chunk.toString('latin1'))) return void client.write(chunk);
      spoil(mode, chunk, client, dovecot);
    });
  });

  function spoil(mode: HostileMode, chunk: Buffer, client: net.Socket, dovecot: net.Socket): void {
    const text = chunk.toString('latin1');
    const at = text.search(BODY_LITERAL);
    switch (mode) {
      case 'wrong-literal-size':
        // Every message literal claims more bytes than follow, or fewer.
        client.write(
          Buffer.from(
            text.replace(BODY_LITERALS, (_, n: string) => `BODY[] {${Math.max(0, Number(n) + (prng.chance(0.5) ? 37 : -37))}}\r\n`),
            'latin1',
          ),
        );
        return;
      case 'truncated':
        client.end(chunk.subarray(0, at + 40));
        dovecot.destroy();
        return;
      case 'garbage': {
        const garbage = Buffer.from(Array.from({ length: 4_096 }, () => prng.int(0x80, 0xff)));
        client.write(Buffer.concat([chunk.subarray(0, at), garbage, Buffer.from('\r\n')]));
        return;
      }
      case 'never-ending': {
        // A message "of 2 GB" whose bytes come one by one, slowly enough to keep the socket alive.
        dovecot.pause();
        client.write(Buffer.from(`${text.slice(0, at)}BODY[] {${DECLARED_NEVER_ENDING_BYTES}}\r\n`, 'latin1'));
        const timer = setInterval(() => (client.writable ? client.write('x') : clearInterval(timer)), TRICKLE_MS);
        timers.add(timer);
        return;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    spoiled,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The hostile mode of the mailbox a client line signs in to (AUTHENTICATE PLAIN or LOGIN), if any. */
function modeOfLogin(text: string, modes: Record<string, HostileMode>): HostileMode | undefined {
  const decoded = [...text.matchAll(SASL_TOKEN)].map(([token]) => Buffer.from(token, 'base64').toString('latin1'));
  const said = [text, ...decoded].join('\n').toLowerCase();
  return Object.entries(modes).find(([user]) => said.includes(user.toLowerCase()))?.[1];
}
