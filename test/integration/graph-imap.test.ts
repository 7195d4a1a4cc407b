/**
 * IMAP (a real Dovecot) → Exchange Online over Microsoft Graph through the real engine: mail
 * goes in through beta importMime as received messages (never drafts), byte for byte, into the
 * folders the plan maps (INBOX → Inbox, Sent → Sent Items), each received at its IMAP internal
 * date (not its Date header, not the time of the import); a second full pass copies nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

/** Internal dates of the two Sent messages, whose Date header says 2024-01-01T10:00:00Z. */
const SENT_AT = ['2024-01-02T03:04:05.000Z', '2024-02-03T04:05:06.000Z'];

describe('IMAP → Exchange Online over Microsoft Graph (MIME)', () => {
  let fx: GraphMigrationFixture;
  const sent = new Map<string, Buffer[]>();
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'dovecot', mailboxes: ['carol'] });
    const fill = async (folder: string, messages: Buffer[], flags: (i: number) => string[] = () => ['\\Seen'], dates: Date[] = []) => {
      sent.set(folder, messages);
      await fillMailbox(
        fx.dovecot!,
        fx.sourceOf('carol'),
        folder,
        messages.map((raw, i) => ({ raw, flags: flags(i), ...(dates[i] ? { internalDate: dates[i] } : {}) })),
      );
    };
    // Read state, flags and keywords do not travel in MIME: they are set on the message afterwards.
    await fill(
      'INBOX',
      Array.from({ length: 12 }, (_, i) => sampleMessage(i + 1, i === 0 ? 300_000 : 0)),
      (i) => (i === 1 ? ['\\Seen', '\\Flagged', 'Project'] : i < 6 ? ['\\Seen'] : []),
    );
    await fill(
      'Sent',
      [sampleMessage(100), sampleMessage(101)],
      () => ['\\Seen'],
      SENT_AT.map((d) => new Date(d)),
    );
    await fill('Archive/2025', [sampleMessage(200, 0, 'Fish & Chips <old>')]);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('imports every message byte for byte as a received message, then a second full pass copies nothing', async () => {
    const itemId = await fx.addItem('carol');
    const first = await fx.runPass('full', [itemId]);
    const item = await fx.runtime.services.items.getItem('local', itemId);
    expect(item.lastRun?.reason).toBeUndefined();
    expect(item.status).toBe('Completed');
    expect(first.summary).toMatchObject({ copied: 15, failed: 0 });
    const dest = fx.destinationOf('carol');
    const mimeIn = (folder: string) =>
      fx.graph.read
        .items(dest, folder)
        .map((i) => i.mime!.toString('base64'))
        .sort();
    expect(mimeIn('Inbox')).toEqual(
      sent
        .get('INBOX')!
        .map((m) => m.toString('base64'))
        .sort(),
    );
    expect(mimeIn('Sent Items')).toEqual(
      sent
        .get('Sent')!
        .map((m) => m.toString('base64'))
        .sort(),
    );
    expect(mimeIn('Archive/2025')).toEqual(
      sent
        .get('Archive/2025')!
        .map((m) => m.toString('base64'))
        .sort(),
    );
    for (const i of fx.graph.read.items(dest, 'Inbox')) expect(i).toMatchObject({ origin: 'importMime', isDraft: false });
    const state = fx.graph.read.items(dest, 'Inbox').map((i) => ({
      subject: /Subject: (.*)\r\n/.exec(i.mime!.toString())![1],
      isRead: i.isRead,
      flagged: i.flagged,
      categories: i.categories,
    }));
    expect(state.filter((s) => s.isRead)).toHaveLength(6);
    expect(state.filter((s) => s.flagged)).toEqual([{ subject: 'Message 2', isRead: true, flagged: true, categories: ['Project'] }]);
    expect(
      fx.graph.read
        .items(dest, 'Sent Items')
        .map((i) => i.receivedDateTime)
        .sort(),
    ).toEqual(SENT_AT);

    const second = await fx.runPass('full', [itemId]);
    expect(second.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(fx.graph.read.items(dest, 'Inbox')).toHaveLength(12);
  }, 120_000);
});
