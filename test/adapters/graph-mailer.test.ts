import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphMailer } from '../../api/adapters/graph-mailer.js';
import { AuthError, ConnectionError, ThrottledError, ValidationError } from '../../api/core/errors.js';

const SENDER = 'migration@contoso.test';
const TOKEN = 'eyJ0eXAiOiJKV1QifQ.test-token';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A stand-in for graph.microsoft.com that records each request and answers with `reply`. */
async function startGraph(reply: (res: ServerResponse) => void): Promise<{ baseUrl: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: text ? JSON.parse(text) : undefined });
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1.0`, seen, server };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('GraphMailer against a local HTTP server', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function mailerFor(reply: (res: ServerResponse) => void) {
    const graph = await startGraph(reply);
    server = graph.server;
    return { mailer: new GraphMailer({ sender: SENDER, baseUrl: graph.baseUrl, getToken: async () => TOKEN }), seen: graph.seen };
  }

  it('POSTs /users/{sender}/sendMail with the bearer token and the sendMail JSON shape', async () => {
    const { mailer, seen } = await mailerFor((res) => res.writeHead(202).end());
    await mailer.send({ to: 'alice@src.test', subject: 'Confirm your password', text: 'plain', html: '<p>rich</p>' });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe('POST');
    expect(decodeURIComponent(request!.url!)).toBe(`/v1.0/users/${SENDER}/sendMail`);
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toEqual({
      message: {
        subject: 'Confirm your password',
        body: { contentType: 'HTML', content: '<p>rich</p>' },
        toRecipients: [{ emailAddress: { address: 'alice@src.test' } }],
      },
      saveToSentItems: false,
    });
  });

  it('sends a Text body when the message has no HTML', async () => {
    const { mailer, seen } = await mailerFor((res) => res.writeHead(202).end());
    await mailer.send({ to: 'bob@src.test', subject: 's', text: 'just text' });
    expect((seen[0]!.body as { message: { body: unknown } }).message.body).toEqual({ contentType: 'Text', content: 'just text' });
  });

  it('turns 429 with Retry-After into a ThrottledError carrying the wait', async () => {
    const { mailer } = await mailerFor(
      json(429, { error: { code: 'ApplicationThrottled', message: 'Too many requests' } }, { 'retry-after': '7' }),
    );
    const error = await mailer.send({ to: 'alice@src.test', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(7_000);
    expect((error as ThrottledError).retryable).toBe(true);
  });

  it('turns 503 without Retry-After into a ThrottledError with a default wait', async () => {
    const { mailer } = await mailerFor((res) => res.writeHead(503).end('Service Unavailable'));
    const error = await mailer.send({ to: 'alice@src.test', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBeGreaterThan(0);
  });

  it.each([401, 403])('turns %i into an AuthError that says which permission to grant', async (status) => {
    const { mailer } = await mailerFor(json(status, { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } }));
    const error = await mailer.send({ to: 'alice@src.test', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/Mail\.Send/);
    expect((error as Error).message).toContain('ErrorAccessDenied: Access is denied.');
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it("turns 400 into a ValidationError quoting Graph's reason", async () => {
    const { mailer } = await mailerFor(
      json(400, { error: { code: 'ErrorInvalidRecipients', message: 'At least one recipient is not valid.' } }),
    );
    const error = await mailer.send({ to: 'not-an-address', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('ErrorInvalidRecipients');
  });

  it('turns an unreachable Graph into a ConnectionError', async () => {
    const { mailer } = await mailerFor((res) => res.destroy());
    const error = await mailer.send({ to: 'alice@src.test', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
  });
});
