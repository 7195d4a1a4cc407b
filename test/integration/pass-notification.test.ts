import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptiveCardProblems } from '../../api/core/notifications/card-problems.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';
import { waitUntil } from '../support/wait-until.js';

interface Received {
  path: string;
  body: { type: string; attachments: { contentType: string; content: Record<string, unknown> }[] };
  bytes: number;
}

describe('a Teams channel hears when a pass ends', () => {
  let fx: MigrationFixture;
  let receiver: Server;
  let webhookUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push({ path: req.url ?? '', body: JSON.parse(raw.toString('utf8')), bytes: raw.length });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/workflows/triggers/manual/paths/invoke?api-version=1&sig=SECRET-SIGNATURE`;
    fx = await createMigrationFixture({ mailboxes: ['cards'] });
  });
  afterAll(async () => {
    receiver?.close();
    await fx?.close();
  });

  it('keeps the webhook URL secret: stored encrypted, shown only as configured', async () => {
    const project = await fx.runtime.services.projects.updateProject(LOCAL_TENANT, fx.projectId, { teamsWebhookUrl: webhookUrl });
    expect(project).toMatchObject({ hasTeamsWebhook: true });
    expect(JSON.stringify(project)).not.toContain('SECRET-SIGNATURE');
    const stored = await fx.runtime.store.projects.get(LOCAL_TENANT, fx.projectId);
    expect(JSON.stringify(stored)).not.toContain('SECRET-SIGNATURE');
  });

  it('posts one valid Adaptive Card with the pass figures to the Workflows webhook', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('cards');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      [1, 2, 3].map((n) => ({ raw: sampleMessage(n, 2_000) })),
    );
    const pass = await fx.runPass('full', [itemId]);
    await waitUntil('the pass-ended card to reach the webhook', () => received.length > 0, { timeoutMs: 10_000 });
    expect(received).toHaveLength(1);
    const [post] = received;
    expect(post!.path).toContain('sig=SECRET-SIGNATURE');
    expect(post!.bytes).toBeLessThanOrEqual(28_000);
    expect(post!.body.type).toBe('message');
    const card = post!.body.attachments[0]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(adaptiveCardProblems(card.content)).toEqual([]);
    const text = JSON.stringify(card.content);
    expect(text).toContain('Integration');
    expect(text).toContain('Full Migration');
    expect(pass.summary?.copied).toBe(3);
  });
});
