import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TeamsWorkflowNotifier, type TeamsWorkflowNotifierOptions } from '../../api/adapters/teams-workflow-notifier.js';
import { AuthError, ConnectionError, MailferryError, ThrottledError, ValidationError } from '../../api/core/errors.js';
import type { Pass, Project } from '../../api/core/model.js';
import { adaptiveCardProblems } from '../../api/core/notifications/card-problems.js';
import type { PassEndedNotice } from '../../api/core/ports.js';
import { ADAPTIVE_CARD_CONTENT_TYPE, TEAMS_MESSAGE_MAX_BYTES } from '../../api/core/notifications/teams-message.js';
import { TestClock } from '../support/test-clock.js';
import { waitUntil } from '../support/wait-until.js';

const ONE_SECOND_MS = 1000;
const POSTS_PER_SECOND = 4;
const BURST = 10;
/** The notifier's window: Teams' second plus the margin it leaves for network jitter. */
const RATE_WINDOW_MS = 1050;
const FAST_RETRY = { retryBaseDelayMs: 20 } satisfies TeamsWorkflowNotifierOptions;
const TAB_LINK = { teamsAppId: 'a1b2c3d4-0000-4000-8000-000000000001', tabEntityId: 'projects' };
const SIGNATURE = 'sig-S3CRET-do-not-log';

interface Received {
  atMs: number;
  card?: Record<string, unknown>;
  /** What the receiver found wrong with the request; empty for a valid Workflows post. */
  problems: string[];
}

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A Workflows webhook stand-in: checks every request as Teams would and answers as scripted. */
class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly server: Server;

  constructor(
    private readonly reply: (requestNumber: number) => Reply,
    private readonly now: () => number,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SIGNATURE}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get accepted(): Received[] {
    return this.received.filter((_, i) => {
      const r = this.reply(i + 1);
      return r !== 'hang' && r.status < 300;
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const atMs = this.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const entry: Received = { atMs, problems: [] };
    this.received.push(entry);
    this.check(req, raw, entry);
    const reply = this.reply(this.received.length);
    if (reply === 'hang') return;
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body ?? '');
  }

  private check(req: IncomingMessage, raw: Buffer, entry: Received): void {
    if (req.method !== 'POST') entry.problems.push(`method ${req.method}`);
    if (!req.headers['content-type']?.startsWith('application/json')) entry.problems.push(`content-type ${req.headers['content-type']}`);
    if (raw.length > TEAMS_MESSAGE_MAX_BYTES) entry.problems.push(`${raw.length} bytes`);
    let body: { type?: unknown; attachments?: { contentType?: unknown; contentUrl?: unknown; content?: Record<string, unknown> }[] };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      entry.problems.push('body is not JSON');
      return;
    }
    if (body.type !== 'message') entry.problems.push(`type ${String(body.type)}`);
    const attachment = body.attachments?.length === 1 ? body.attachments[0] : undefined;
    if (!attachment) return void entry.problems.push('not exactly one attachment');
    if (attachment.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) entry.problems.push(`contentType ${String(attachment.contentType)}`);
    if (attachment.contentUrl !== null) entry.problems.push('contentUrl is not null');
    if (!attachment.content) return void entry.problems.push('no card');
    entry.card = attachment.content;
    entry.problems.push(...adaptiveCardProblems(attachment.content));
  }
}

function notice(name = 'Contoso to Fabrikam'): PassEndedNotice {
  const project: Project = {
    tenantId: 't1',
    id: 'proj-42',
    version: 1,
    name,
    sourceEndpointId: 'e1',
    destinationEndpointId: 'e2',
    options: [],
    maxConcurrentMigrations: 5,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const pass: Pass = {
    tenantId: 't1',
    id: 'pass-7',
    version: 2,
    projectId: 'proj-42',
    kind: 'prestage',
    itemIds: ['i1'],
    options: { itemTypes: ['mail'] },
    status: 'completed',
    createdAt: '2026-01-02T00:00:00.000Z',
    summary: {
      items: 1,
      completed: 1,
      completedWithErrors: 0,
      failedItems: 0,
      stopped: 0,
      copied: 120,
      skipped: 0,
      failed: 0,
      bytes: 5_000_000,
      durationMs: 90_000,
    },
  };
  return { project, pass, topErrors: [{ code: 'rejected', reason: 'Message has a malformed header', count: 2 }] };
}

const receivers: WebhookReceiver[] = [];
/** `now` stamps each arrival: the notifier's test clock where a test drives one. */
async function receiver(
  reply: (requestNumber: number) => Reply = () => ({ status: 202 }),
  now: () => number = () => performance.now(),
): Promise<{ receiver: WebhookReceiver; url: string }> {
  const r = new WebhookReceiver(reply, now);
  receivers.push(r);
  return { receiver: r, url: await r.start() };
}

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function rejection(promise: Promise<unknown>): Promise<MailferryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MailferryError);
  return error as MailferryError;
}

describe('TeamsWorkflowNotifier', () => {
  it('posts one Workflows message whose card parses, with the project and a link to the tab', async () => {
    const { receiver: hook, url } = await receiver();
    await new TeamsWorkflowNotifier(() => url, { tabLink: TAB_LINK }).notifyPassEnded(notice());
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0].problems).toEqual([]);
    const json = JSON.stringify(hook.received[0].card);
    expect(json).toContain('Pre-Stage Migration completed');
    expect(json).toContain('Project: Contoso to Fabrikam');
    expect(json).toContain(`https://teams.microsoft.com/l/entity/${TAB_LINK.teamsAppId}/projects?context=`);
  });

  it('spaces a burst of 10 posts so that no second holds more than 4', async () => {
    const clock = new TestClock();
    const { receiver: hook, url } = await receiver(undefined, () => clock.now().getTime());
    const notifier = new TeamsWorkflowNotifier(() => url, { clock });
    const burst = Promise.all(Array.from({ length: BURST }, (_, i) => notifier.notifyPassEnded(notice(`Project ${i}`))));
    // Each window lets 4 through and holds the rest until the clock moves on.
    for (let window = 1; window * POSTS_PER_SECOND < BURST; window++) {
      const sent = window * POSTS_PER_SECOND;
      await waitUntil(
        `${sent} posts to arrive and the next to wait for the clock`,
        () => hook.received.length >= sent && clock.pendingSleeps > 0,
        {
          describe: () => `${hook.received.length} received, ${clock.pendingSleeps} waiting`,
        },
      );
      expect(hook.received).toHaveLength(sent);
      clock.advance(RATE_WINDOW_MS);
    }
    await burst;
    expect(hook.received).toHaveLength(BURST);
    expect(hook.received.flatMap((r) => r.problems)).toEqual([]);
    const times = hook.received.map((r) => r.atMs).sort((a, b) => a - b);
    for (let i = POSTS_PER_SECOND; i < times.length; i++) {
      expect(times[i] - times[i - POSTS_PER_SECOND]).toBeGreaterThanOrEqual(ONE_SECOND_MS);
    }
    // Queued, not dropped, and in the order they were asked for.
    expect(hook.received.map((r) => JSON.stringify(r.card).match(/Project (\d+)/)?.[1])).toEqual(
      Array.from({ length: BURST }, (_, i) => String(i)),
    );
  });

  it('waits out a 429 with Retry-After: 1 on its clock and then delivers the card once', async () => {
    const clock = new TestClock();
    const { receiver: hook, url } = await receiver(
      (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } : { status: 202 }),
      () => clock.now().getTime(),
    );
    const sending = new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, clock }).notifyPassEnded(notice());
    await waitUntil('the notifier to sleep on the 429', () => hook.received.length === 1 && clock.pendingSleeps > 0);
    clock.advance(ONE_SECOND_MS);
    await sending;
    expect(hook.received).toHaveLength(2);
    expect(hook.accepted).toHaveLength(1);
    expect(hook.received[1].atMs - hook.received[0].atMs).toBe(ONE_SECOND_MS);
    expect(hook.received[1].problems).toEqual([]);
  });

  it('reports a 400 once, with the status and the response text, without retrying', async () => {
    const { receiver: hook, url } = await receiver(() => ({ status: 400, body: 'BadRequest: property "attachments" is malformed' }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, FAST_RETRY).notifyPassEnded(notice()));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('answered 400: BadRequest: property "attachments" is malformed');
    expect(hook.received).toHaveLength(1);
  });

  it('truncates a long error page in the message', async () => {
    const { url } = await receiver(() => ({ status: 404, body: `<html>${'not found '.repeat(2000)}</html>` }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, FAST_RETRY).notifyPassEnded(notice()));
    expect(error.message).toContain('answered 404: <html>not found');
    expect(error.message.length).toBeLessThan(600);
  });

  it('tells the admin to copy the URL again when the workflow refuses the caller (403)', async () => {
    const { receiver: hook, url } = await receiver(() => ({ status: 403, body: 'DirectApiAuthorizationRequired' }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, FAST_RETRY).notifyPassEnded(notice()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/copy the URL again/);
    expect(hook.received).toHaveLength(1);
  });

  it('ends a 502 storm in a retryable ConnectionError after the bounded attempts', async () => {
    const { receiver: hook, url } = await receiver(() => ({ status: 502, body: 'Bad Gateway' }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, maxAttempts: 3 }).notifyPassEnded(notice()));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('answered 502: Bad Gateway (gave up after 3 attempts)');
    expect(hook.received).toHaveLength(3);
  });

  it("ends a 503 storm that carries Retry-After in a ThrottledError with the server's wait", async () => {
    const { receiver: hook, url } = await receiver(() => ({ status: 503, headers: { 'retry-after': '0' } }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, maxAttempts: 2 }).notifyPassEnded(notice()));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 0 });
    expect(hook.received).toHaveLength(2);
  });

  it('hands a long Retry-After back to the caller instead of sleeping on it', async () => {
    const { receiver: hook, url } = await receiver(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, FAST_RETRY).notifyPassEnded(notice()));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.retryAfterMs).toBe(120 * ONE_SECOND_MS);
    expect(hook.received).toHaveLength(1);
  });

  it('gives up on a receiver that never answers, after the timeout on each attempt', async () => {
    const { receiver: hook, url } = await receiver(() => 'hang');
    const error = await rejection(
      new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, timeoutMs: 200, maxAttempts: 2 }).notifyPassEnded(notice()),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain('did not answer within 200 ms');
    expect(hook.received).toHaveLength(2);
  });

  it('reports an unreachable webhook as a ConnectionError', async () => {
    const { receiver: hook, url } = await receiver();
    await hook.stop();
    receivers.splice(receivers.indexOf(hook), 1);
    const error = await rejection(new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, maxAttempts: 1 }).notifyPassEnded(notice()));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('posts nothing for a project without a webhook', async () => {
    const { receiver: hook } = await receiver();
    await new TeamsWorkflowNotifier(() => undefined).notifyPassEnded(notice());
    expect(hook.received).toHaveLength(0);
  });

  it("refuses plain http to another host and never repeats the URL's signature", async () => {
    const error = await rejection(
      new TeamsWorkflowNotifier(() => `http://prod-01.westus.logic.azure.com/workflows/abc?sig=${SIGNATURE}`).notifyPassEnded(notice()),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('https://');
    expect(error.message).not.toContain(SIGNATURE);
    await expect(new TeamsWorkflowNotifier(() => 'not a url').notifyPassEnded(notice())).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps the signature out of the errors a failing webhook produces', async () => {
    const { url } = await receiver(() => ({ status: 500 }));
    const error = await rejection(new TeamsWorkflowNotifier(() => url, { ...FAST_RETRY, maxAttempts: 2 }).notifyPassEnded(notice()));
    expect(error.message).not.toContain(SIGNATURE);
    expect(error.message).toContain('127.0.0.1');
  });
});
