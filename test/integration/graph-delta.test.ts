/**
 * Delta links kept between passes (docs/endpoints.md: "Delta links between passes"), through the real
 * engine and Graph connector against the Graph test server, whose request log shows what was
 * asked: a full pass after a full pass asks each source folder one question (its delta link)
 * and lists, exports and imports nothing; what arrived since is copied and only it; an item
 * deleted at the source is no error; a pre-stage pass leaves no cursor behind, so the full pass
 * after it still lists (and copies) what the cutoff left out; a cursor whose save failed after
 * the copy is followed again and copies nothing twice; a delta link Exchange Online no longer
 * keeps (410 Gone, syncStateNotFound or resyncRequired) is listed again from scratch, and the
 * ledger lets only what is new through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import type { LoggedRequest } from '../support/graph/index.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

const DAY_MS = 24 * 60 * 60_000;
const ALL_TYPES = { itemTypes: ['mail', 'contacts', 'calendar', 'tasks', 'notes'] };
const ITEMS_ROUTE = 'admin/exchange/mailboxes/:mbx/folders/:folder/items';
const DELTA_ROUTE = `${ITEMS_ROUTE}/delta`;

const mime = (tag: string) => Buffer.from(`Subject: ${tag}\r\nMessage-ID: <${tag}@contoso.com>\r\n\r\nBody of ${tag}\r\n`);

describe('Exchange Online → Exchange Online over Graph: delta links between passes', () => {
  let fx: GraphMigrationFixture;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['steady', 'fresh', 'gone', 'staged', 'unsaved', 'expired'] });
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  /** A source mailbox with mail in two folders and one item of each other type. */
  function seed(name: string, count: number): { archive: string } {
    const src = fx.sourceOf(name);
    const archive = fx.graph.seed.folder(src, { displayName: 'Archive 2026', parent: 'inbox' });
    for (let n = 0; n < count; n++) fx.graph.seed.message(src, n % 2 ? 'inbox' : archive, mime(`${name}-${n}`));
    fx.graph.seed.item(src, 'calendar', { type: 'IPM.Appointment', subject: 'Weekly' });
    fx.graph.seed.item(src, 'contacts', { type: 'IPM.Contact', subject: 'Bob' });
    return { archive };
  }

  /** Every item's export stream per folder path, sorted: two mailboxes with equal maps hold the same items. */
  function contentOf(smtp: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const path of ['Inbox', 'Inbox/Archive 2026', 'Calendar', 'Contacts']) {
      const items = fx.graph.read.folder(smtp, path) ? fx.graph.read.items(smtp, path) : [];
      if (items.length) out[path] = items.map((i) => i.data.toString('base64')).sort();
    }
    return out;
  }

  /** Runs a pass and returns it with the requests it caused, per mailbox. */
  async function passWithLog(kind: 'full' | 'prestage', itemId: string, extra: Record<string, unknown> = ALL_TYPES) {
    const mark = fx.graph.requestLog.length;
    const pass = await fx.runPass(kind, [itemId], extra);
    return { pass, requests: fx.graph.requestLog.slice(mark) };
  }

  const on = (requests: LoggedRequest[], smtp: string) => requests.filter((r) => r.mailbox === smtp);
  const itemReads = (requests: LoggedRequest[]) => requests.filter((r) => r.route === DELTA_ROUTE || r.route === ITEMS_ROUTE);
  const transfers = (requests: LoggedRequest[]) =>
    requests.filter((r) => /exportItems|createImportSession|importItem|importMime/.test(r.route));

  /** The source folders a full listing read: every items/delta request without a delta token. */
  const foldersListedInFull = (requests: LoggedRequest[]) =>
    itemReads(requests)
      .filter((r) => r.route === DELTA_ROUTE && !r.query.includes('$deltatoken'))
      .map((r) => r.folder!)
      .sort();
  /** The items listings that read delivery times (the delta does not carry them): `$expand`ed, and after a delta only what was created since. */
  const dateLookups = (requests: LoggedRequest[]) => itemReads(requests).filter((r) => r.route === ITEMS_ROUTE);

  it('asks each source folder one question on a second full pass: its delta link, with no item list, export or import', async () => {
    seed('steady', 30);
    const itemId = await fx.addItem('steady');
    const first = await passWithLog('full', itemId);
    expect(first.pass.summary).toMatchObject({ copied: 32, failed: 0 });
    const folders = foldersListedInFull(on(first.requests, fx.sourceOf('steady')));
    expect(folders.length).toBeGreaterThanOrEqual(4);

    const second = await passWithLog('full', itemId);
    expect(second.pass.summary).toMatchObject({ copied: 0, failed: 0, completed: 1 });
    const reads = itemReads(second.requests);
    expect(reads.map((r) => r.mailbox)).toEqual(reads.map(() => fx.sourceOf('steady'))); // nothing read at the destination
    expect(reads.every((r) => r.route === DELTA_ROUTE && r.query.includes('$deltatoken'))).toBe(true);
    expect(reads.map((r) => r.folder!).sort()).toEqual(folders); // one per folder, each once
    expect(transfers(second.requests)).toEqual([]);
    expect(contentOf(fx.destinationOf('steady'))).toEqual(contentOf(fx.sourceOf('steady')));
    // What the ledger already holds still shows as skipped, as a full listing would count it.
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.lastRun).toMatchObject({ copied: 0, skipped: 32 });
  }, 120_000);

  it('copies what arrived at the source since the last pass, and only that', async () => {
    const { archive } = seed('fresh', 10);
    const itemId = await fx.addItem('fresh');
    await passWithLog('full', itemId);
    const src = fx.sourceOf('fresh');
    fx.graph.seed.message(src, archive, mime('fresh-new-1'));
    fx.graph.seed.message(src, 'inbox', mime('fresh-new-2'));

    const second = await passWithLog('full', itemId);
    expect(second.pass.summary).toMatchObject({ copied: 2, failed: 0 });
    expect(foldersListedInFull(on(second.requests, src))).toEqual([]);
    const lookups = dateLookups(on(second.requests, src));
    expect(lookups).toHaveLength(2); // one per folder that had something new
    expect(lookups.every((r) => r.query.includes('$expand') && r.query.includes('$filter'))).toBe(true);
    expect(transfers(on(second.requests, src)).length).toBe(2); // one export per folder that had something new
    expect(on(second.requests, fx.destinationOf('fresh')).filter((r) => r.route === 'importItem')).toHaveLength(2);
    expect(contentOf(fx.destinationOf('fresh'))).toEqual(contentOf(src));
  }, 120_000);

  it('takes an item deleted at the source as no error, and keeps its copy', async () => {
    seed('gone', 6);
    const itemId = await fx.addItem('gone');
    await passWithLog('full', itemId);
    const src = fx.sourceOf('gone');
    const victim = fx.graph.read.items(src, 'Inbox')[0]!;
    fx.graph.seed.deleteItem(src, victim.id);

    const second = await passWithLog('full', itemId);
    expect(second.pass.summary).toMatchObject({ copied: 0, failed: 0, completed: 1 });
    expect(foldersListedInFull(on(second.requests, src))).toEqual([]);
    expect(transfers(second.requests)).toEqual([]);
    expect((await fx.runtime.store.errors.list(LOCAL_TENANT, itemId)).items).toEqual([]);
    expect(fx.graph.read.items(fx.destinationOf('gone'), 'Inbox').map((i) => i.data)).toContainEqual(victim.data);
  }, 120_000);

  it('leaves no cursor after a pre-stage pass, so the full pass after it copies what the cutoff left out; the next one asks only deltas', async () => {
    const src = fx.sourceOf('staged');
    fx.graph.clock.advance(-30 * DAY_MS); // the server stamps createdDateTime with its own clock
    for (let n = 0; n < 4; n++) fx.graph.seed.message(src, 'inbox', mime(`staged-old-${n}`));
    fx.graph.clock.advance(30 * DAY_MS);
    for (let n = 0; n < 3; n++) fx.graph.seed.message(src, 'inbox', mime(`staged-new-${n}`));
    const itemId = await fx.addItem('staged');

    const prestage = await passWithLog('prestage', itemId, { ...ALL_TYPES, cutoff: new Date(Date.now() - 7 * DAY_MS).toISOString() });
    expect(prestage.pass.summary).toMatchObject({ copied: 4, failed: 0 });
    expect(await fx.runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', 'Inbox')).toBeUndefined();

    const full = await passWithLog('full', itemId);
    expect(full.pass.summary).toMatchObject({ copied: 3, failed: 0 });
    expect(fx.graph.read.items(fx.destinationOf('staged'), 'Inbox')).toHaveLength(7);
    expect(await fx.runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', 'Inbox')).toBeDefined();

    const delta = await passWithLog('full', itemId);
    expect(delta.pass.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(foldersListedInFull(on(delta.requests, src))).toEqual([]);
    expect(contentOf(fx.destinationOf('staged'))).toEqual(contentOf(src));
  }, 120_000);

  it('follows the old cursor again when saving the new one failed after the copy, and copies nothing twice', async () => {
    const { archive } = seed('unsaved', 8);
    const itemId = await fx.addItem('unsaved');
    await passWithLog('full', itemId);
    const src = fx.sourceOf('unsaved');
    const before = await fx.runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', 'Inbox/Archive 2026');
    for (let n = 0; n < 5; n++) fx.graph.seed.message(src, archive, mime(`unsaved-new-${n}`));

    // The worker dies right after the copy, before the cursor is saved (the store refuses the save).
    const cursors = fx.runtime.store.cursors;
    const put = cursors.put.bind(cursors);
    cursors.put = async (cursor) => {
      if (cursor.folder === 'Inbox/Archive 2026') throw new Error('the worker died before the cursor was saved');
      return put(cursor);
    };
    try {
      await passWithLog('full', itemId);
    } finally {
      cursors.put = put;
    }
    expect(await cursors.get(LOCAL_TENANT, itemId, 'source', 'Inbox/Archive 2026')).toEqual(before);
    expect(fx.graph.read.items(fx.destinationOf('unsaved'), 'Inbox/Archive 2026')).toHaveLength(9);

    const again = await passWithLog('full', itemId);
    expect(again.pass.summary).toMatchObject({ copied: 0, failed: 0, completed: 1 });
    expect(foldersListedInFull(on(again.requests, src))).toEqual([]);
    expect(transfers(again.requests)).toEqual([]);
    expect(contentOf(fx.destinationOf('unsaved'))).toEqual(contentOf(src));
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(15);
  }, 180_000);

  it('lists a folder from scratch when Graph no longer knows its delta link (410 Gone), copying what is new once and nothing twice', async () => {
    const { archive } = seed('expired', 12);
    const itemId = await fx.addItem('expired');
    const first = await passWithLog('full', itemId);
    expect(first.pass.summary).toMatchObject({ copied: 14, failed: 0 });
    const src = fx.sourceOf('expired');
    const dst = fx.destinationOf('expired');
    const folders = foldersListedInFull(on(first.requests, src));

    // Exchange Online evicted the sync states: every stored delta link now answers 410 Gone.
    fx.graph.seed.message(src, archive, mime('expired-new-1'));
    fx.graph.seed.message(src, 'inbox', mime('expired-new-2'));
    const victim = fx.graph.read.items(src, 'Inbox')[0]!;
    fx.graph.seed.deleteItem(src, victim.id);
    const refusedBefore = fx.graph.deltaLinksRefused;
    fx.graph.expireDeltaLinks('syncStateNotFound');
    const second = await passWithLog('full', itemId);
    expect(second.pass.summary).toMatchObject({ copied: 2, failed: 0, completed: 1 });
    expect(fx.graph.deltaLinksRefused - refusedBefore).toBe(folders.length); // each stored link was tried, and refused
    expect(foldersListedInFull(on(second.requests, src))).toEqual(folders); // then each folder listed in full
    expect(on(second.requests, dst).filter((r) => r.route === 'importItem')).toHaveLength(2);
    expect((await fx.runtime.store.errors.list(LOCAL_TENANT, itemId)).items).toEqual([]);
    // Nothing lost, nothing twice: the source's items, plus the copy of the one deleted there.
    const expected = contentOf(src);
    expected['Inbox'] = [...expected['Inbox']!, victim.data.toString('base64')].sort();
    expect(contentOf(dst)).toEqual(expected);

    // Dropped again, now with resyncRequired: the same; the links saved after that work.
    fx.graph.seed.message(src, archive, mime('expired-new-3'));
    fx.graph.expireDeltaLinks('resyncRequired');
    const third = await passWithLog('full', itemId);
    expect(third.pass.summary).toMatchObject({ copied: 1, failed: 0, completed: 1 });
    expect(foldersListedInFull(on(third.requests, src))).toEqual(folders);
    const quiet = await passWithLog('full', itemId);
    expect(quiet.pass.summary).toMatchObject({ copied: 0, failed: 0, completed: 1 });
    expect(foldersListedInFull(on(quiet.requests, src))).toEqual([]);
    expect(transfers(quiet.requests)).toEqual([]);
    expected['Inbox/Archive 2026'] = contentOf(src)['Inbox/Archive 2026']!;
    expect(contentOf(dst)).toEqual(expected);
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(14 + 2 + 1);
  }, 180_000);
});
