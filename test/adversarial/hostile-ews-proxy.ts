/**
 * A hostile EWS endpoint built on the EWS test server: an HTTP proxy that passes every request
 * through, except item reads (ExportItems, GetItem) for a mailbox named in `modes`, whose answers
 * it spoils: cut off half way, XML that does not parse, 8-bit garbage, or a body that never ends.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { Prng } from '../bench/prng.js';

export type HostileEwsMode = 'truncated' | 'malformed-xml' | 'garbage' | 'never-ending';

export interface HostileEwsProxy {
  url: string;
  spoiled: Record<HostileEwsMode, number>;
  close(): Promise<void>;
}

const ITEM_READ = /<m:(ExportItems|GetItem)\b/;
const ITEM_ID = /<t:ItemId Id="([^"]+)"/g;
const TRICKLE_MS = 200;

export async function startHostileEwsProxy(
  upstreamUrl: string,
  modes: Record<string, HostileEwsMode>,
  seed: number,
): Promise<HostileEwsProxy> {
  const upstream = new URL(upstreamUrl);
  const spoiled: Record<HostileEwsMode, number> = { truncated: 0, 'malformed-xml': 0, garbage: 0, 'never-ending': 0 };
  const prng = new Prng(seed);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const text = body.toString('utf8');
    // Item reads name items by id only; the EWS test server's ids are base64 text that names the mailbox.
    const ids = [...text.matchAll(ITEM_ID)].map(([, id]) => Buffer.from(id!, 'base64').toString('latin1').toLowerCase()).join('\n');
    const mode = ITEM_READ.test(text) ? Object.entries(modes).find(([smtp]) => ids.includes(smtp.toLowerCase()))?.[1] : undefined;
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const full = Buffer.concat(parts);
          if (!mode) return void res.writeHead(answer.statusCode ?? 502, answer.headers).end(full);
          spoiled[mode]++;
          spoil(mode, full, answer, res);
        });
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function spoil(mode: HostileEwsMode, full: Buffer, answer: IncomingMessage, res: ServerResponse): void {
    const headers = { 'content-type': answer.headers['content-type'] ?? 'text/xml; charset=utf-8' };
    switch (mode) {
      case 'truncated':
        // The declared length promises the whole answer; the connection ends half way.
        res.writeHead(200, { ...headers, 'content-length': String(full.length) });
        res.write(full.subarray(0, Math.floor(full.length / 2)));
        res.socket?.destroy();
        return;
      case 'malformed-xml':
        res.writeHead(200, headers).end(full.toString('utf8').replace(/<\/m:/g, '</m:broken-').replace(/&/g, '&&'));
        return;
      case 'garbage':
        res.writeHead(200, headers).end(Buffer.from(Array.from({ length: 8_192 }, () => prng.int(0x80, 0xff))));
        return;
      case 'never-ending': {
        res.writeHead(200, headers);
        res.write(full.subarray(0, Math.floor(full.length / 2)));
        const timer = setInterval(() => (res.writable ? res.write(' ') : clearInterval(timer)), TRICKLE_MS);
        timers.add(timer);
        return;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    spoiled,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
