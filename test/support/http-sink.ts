/**
 * A plain HTTP receiver on a free loopback port that keeps every request and answers with a fixed
 * status: the stand-in for a Teams Workflows webhook (202) and for Microsoft Graph's sendMail
 * (202), for tests of what a host posts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SunkRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpSink {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: SunkRequest[];
  close(): Promise<void>;
}

const HTTP_ACCEPTED = 202;

export async function startHttpSink(status = HTTP_ACCEPTED): Promise<HttpSink> {
  const requests: SunkRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
