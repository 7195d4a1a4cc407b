/**
 * A TCP proxy that writes down, in the order it relays them, the command lines a client sends and
 * the tagged answers a server gives (never the literals' bytes): a test can then see which
 * commands a client used and how many it had in flight before the first answer came back.
 */
import net from 'node:net';

export interface RecordedLine {
  from: 'client' | 'server';
  line: string;
}

export interface RecordingProxy {
  port: number;
  lines: RecordedLine[];
  close(): Promise<void>;
}

/** Lines that start a command (`TAG VERB …`) or are tagged answers (`TAG OK|NO|BAD …`). */
const WORTH_KEEPING = /^[A-Za-z0-9.]+ [A-Z]/;

export async function startRecordingProxy(target: { host: string; port: number }): Promise<RecordingProxy> {
  const sockets = new Set<net.Socket>();
  const lines: RecordedLine[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    const relay = (from: net.Socket, to: net.Socket, who: RecordedLine['from']): void => {
      let pending = '';
      from.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        const parts = pending.split('\r\n');
        pending = parts.pop()!.slice(-1000);
        for (const line of parts)
          if (WORTH_KEEPING.test(line) && !line.startsWith('* ')) lines.push({ from: who, line: line.slice(0, 200) });
        if (!to.destroyed) to.write(chunk);
      });
      from.on('close', () => to.destroy());
    };
    relay(client, upstream, 'client');
    relay(upstream, client, 'server');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
