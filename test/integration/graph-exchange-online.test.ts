/**
 * Exchange Online → Exchange Online over Microsoft Graph through the real engine and the real
 * Graph connector, against the Graph test server (every body CSDL-checked: close() rejects an
 * invalid answer): every item type goes exportItems → importItem and comes back byte for byte,
 * folders keep their paths and types, and a second full pass copies nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

const mime = (n: number, subject = `Message ${n}`) =>
  Buffer.from(
    `From: a${n}@contoso.com\r\nTo: b@contoso.com\r\nSubject: ${subject}\r\nDate: Tue, 1 Dec 2026 10:${String(n % 60).padStart(2, '0')}:00 +0000\r\n` +
      `Message-ID: <m${n}@contoso.com>\r\n\r\nBody ${n}\r\n`,
  );

/** Every folder path of a mailbox with its items' export streams, for a byte-for-byte comparison. */
function contentOf(fx: GraphMigrationFixture, smtp: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const folder of fx.graph.read.folders(smtp)) {
    const path = pathOf(fx, smtp, folder.id);
    const items = fx.graph.read.items(smtp, folder.id);
    if (items.length) out[path] = items.map((i) => i.data.toString('base64')).sort();
  }
  return out;
}

function pathOf(fx: GraphMigrationFixture, smtp: string, id: string): string {
  const byId = new Map(fx.graph.read.folders(smtp).map((f) => [f.id, f]));
  const root = fx.graph.read.folder(smtp, 'root')!.id;
  const names: string[] = [];
  for (let f = byId.get(id); f && f.id !== root; f = f.parentId ? byId.get(f.parentId) : undefined) names.unshift(f.displayName);
  return names.join('/');
}

describe('Exchange Online → Exchange Online over Microsoft Graph', () => {
  let fx: GraphMigrationFixture;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['alice'] });
    const src = fx.sourceOf('alice');
    for (let n = 1; n <= 3; n++)
      fx.graph.seed.message(src, 'inbox', mime(n), { isRead: n === 1, flagged: n === 2, categories: n === 3 ? ['Red'] : [] });
    const projects = fx.graph.seed.folder(src, { displayName: 'Projects', parent: 'inbox' });
    const year = fx.graph.seed.folder(src, { displayName: '2026', parent: projects });
    for (let n = 10; n < 55; n++) fx.graph.seed.message(src, year, mime(n)); // 45: three export batches of ≤20
    fx.graph.seed.item(src, 'calendar', { type: 'IPM.Appointment', subject: 'Weekly', body: 'recurring, with an exception' });
    fx.graph.seed.item(src, 'contacts', { type: 'IPM.Contact', subject: 'Bob' });
    fx.graph.seed.item(src, 'tasks', { type: 'IPM.Task', subject: 'Report' });
    fx.graph.seed.item(src, 'notes', { type: 'IPM.StickyNote', subject: 'Idea' });
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('copies every item type byte for byte into the same folders, then a second full pass copies nothing', async () => {
    const itemId = await fx.addItem('alice');
    const first = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'contacts', 'calendar', 'tasks', 'notes'] });
    const item = await fx.runtime.services.items.getItem('local', itemId);
    expect(item.lastRun?.reason).toBeUndefined();
    expect(item.status).toBe('Completed');
    expect(first.summary).toMatchObject({ copied: 52, failed: 0 });
    const source = contentOf(fx, fx.sourceOf('alice'));
    expect(Object.keys(source).sort()).toEqual(['Calendar', 'Contacts', 'Inbox', 'Inbox/Projects/2026', 'Notes', 'Tasks']);
    expect(contentOf(fx, fx.destinationOf('alice'))).toEqual(source);
    const calendar = fx.graph.read.folder(fx.destinationOf('alice'), 'Calendar');
    expect(calendar?.type).toBe('IPF.Appointment');
    for (const i of fx.graph.read.items(fx.destinationOf('alice'), 'Inbox/Projects/2026')) expect(i.origin).toBe('importItem');

    const second = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'contacts', 'calendar', 'tasks', 'notes'] });
    expect(second.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(contentOf(fx, fx.destinationOf('alice'))).toEqual(source);
  }, 120_000);
});
