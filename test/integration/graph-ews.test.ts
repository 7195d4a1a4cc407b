/**
 * Exchange on premises (the EWS test server, schema-checked) → Exchange Online over Graph (the
 * Graph test server, CSDL-checked) through the real engine and connectors. Whether Exchange
 * Online's importItem takes an on-premises EWS export stream is not confirmed by Microsoft, so the
 * Graph server plays both answers (`acceptEwsExport`):
 *  - yes: every item type goes as the EWS export stream, kept byte for byte;
 *  - no: the first refusal switches the mailbox to MIME; mail arrives as received MIME byte for
 *    byte (not drafts), every other type is an error row naming it and why, the item's report
 *    says what happened, nothing is lost and a second pass duplicates nothing;
 *  - `EwsStreamToGraph=never`: MIME from the start, the stream never offered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  addException,
  exportItem,
  mailboxOf,
  seedItem,
  seedMessage,
  type StoredItem,
} from '../support/ews/items.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

const ALL_TYPES = ['mail', 'contacts', 'calendar', 'tasks', 'notes'];
const MAILS = 10;

interface Seeded {
  mails: Buffer[];
  mailItems: StoredItem[];
  /** Source items by destination folder name, with the type the error row names. */
  others: { folder: string; noun: string; item: StoredItem }[];
}

function seedSource(fx: GraphMigrationFixture, name: string): Seeded {
  const store = fx.ews!.store;
  const smtp = fx.sourceOf(name);
  const mails = Array.from({ length: MAILS }, (_, i) =>
    sampleMessage(i + 1, i * 900, i === 2 ? 'Fish & Chips <à la carte>' : `Message ${i + 1}`),
  );
  const mailItems = mails.map((m, i) =>
    seedMessage(store, smtp, 'inbox', m, { isRead: i % 2 === 0, flag: i === 1 ? 'Flagged' : undefined }),
  );
  const series = seedItem(
    store,
    smtp,
    'calendar',
    '<t:CalendarItem><t:Subject>Weekly sync</t:Subject><t:Start>2024-01-08T09:00:00Z</t:Start><t:End>2024-01-08T09:30:00Z</t:End>' +
      '<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence>' +
      '<t:NumberedRecurrence><t:StartDate>2024-01-08</t:StartDate><t:NumberOfOccurrences>10</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>' +
      '</t:CalendarItem>',
  );
  addException(store, mailboxOf(store, series), series, {
    originalStart: '2024-01-15T09:00:00Z',
    start: '2024-01-16T15:00:00Z',
    end: '2024-01-16T15:30:00Z',
    fieldsXml: '<t:Subject>Weekly sync (moved)</t:Subject>',
  });
  return {
    mails,
    mailItems,
    others: [
      {
        folder: 'Contacts',
        noun: 'contact',
        item: seedItem(
          store,
          smtp,
          'contacts',
          '<t:Contact><t:GivenName>Jane</t:GivenName><t:Surname>Doe</t:Surname><t:CompanyName>Fabrikam</t:CompanyName></t:Contact>',
        ),
      },
      { folder: 'Calendar', noun: 'calendar item', item: series },
      {
        folder: 'Tasks',
        noun: 'task',
        item: seedItem(
          store,
          smtp,
          'tasks',
          '<t:Task><t:Subject>File taxes</t:Subject><t:Status>InProgress</t:Status><t:PercentComplete>40</t:PercentComplete></t:Task>',
        ),
      },
      {
        folder: 'Notes',
        noun: 'note',
        item: seedItem(store, smtp, 'notes', '<t:Item><t:ItemClass>IPM.StickyNote</t:ItemClass><t:Subject>Wi-Fi code</t:Subject></t:Item>'),
      },
    ],
  };
}

/** The EWS export stream the destination keeps, as the EWS server's ExportItems `Data` would carry it. */
function keptStream(ews: unknown): string {
  return Buffer.from(JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, item: ews }), 'utf8').toString('base64');
}

const b64 = (buffers: Buffer[]) => buffers.map((b) => b.toString('base64')).sort();

describe('Exchange (EWS) → Exchange Online over Graph, the tenant takes the EWS export stream', () => {
  let fx: GraphMigrationFixture;
  let frank: Seeded;
  let gina: Seeded;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['frank', 'gina'], server: { acceptEwsExport: true } });
    frank = seedSource(fx, 'frank');
    gina = seedSource(fx, 'gina');
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('copies every item type as the EWS export stream, byte for byte, and a second pass copies nothing', async () => {
    const itemId = await fx.addItem('frank');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(pass.summary).toMatchObject({ copied: MAILS + frank.others.length, failed: 0 });
    const dst = fx.destinationOf('frank');
    const inbox = fx.graph.read.items(dst, 'Inbox');
    expect(inbox.every((i) => i.origin === 'ews-export')).toBe(true);
    const srcStore = fx.ews!.store;
    for (const { folder, item } of frank.others) {
      const [copied, ...more] = fx.graph.read.items(dst, folder);
      expect(more).toHaveLength(0);
      expect(copied!.origin).toBe('ews-export');
      expect(keptStream(copied!.ews)).toBe(exportItem(mailboxOf(srcStore, item), item));
    }
    expect(inbox.map((i) => keptStream(i.ews)).sort()).toEqual(frank.mailItems.map((i) => exportItem(mailboxOf(srcStore, i), i)).sort());
    expect(fx.graph.ewsExportRefusals).toBe(0);

    const again = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(again.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(fx.graph.read.items(dst, 'Inbox')).toHaveLength(MAILS);
  }, 120_000);

  it('EwsStreamToGraph=never sends mail as MIME without offering the stream', async () => {
    const itemId = await fx.addItem('gina', ['EwsStreamToGraph=never']);
    const pass = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(pass.summary).toMatchObject({ copied: MAILS, failed: gina.others.length });
    const inbox = fx.graph.read.items(fx.destinationOf('gina'), 'Inbox');
    expect(b64(inbox.map((i) => i.mime!))).toEqual(b64(gina.mails));
    for (const i of inbox) expect(i).toMatchObject({ origin: 'importMime', isDraft: false });
    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(errors.items.map((e) => e.reason).join('\n')).toMatch(/EwsStreamToGraph=never/);
    expect(fx.graph.ewsExportRefusals).toBe(0);
  }, 120_000);
});

describe('Exchange (EWS) → Exchange Online over Graph, the tenant refuses the EWS export stream', () => {
  let fx: GraphMigrationFixture;
  let seeded: Seeded;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['frank'], server: { acceptEwsExport: false } });
    seeded = seedSource(fx, 'frank');
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('falls back to MIME for mail after the first refusal, reports every other type, and a second pass duplicates nothing', async () => {
    const itemId = await fx.addItem('frank');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(pass.summary).toMatchObject({ copied: MAILS, failed: seeded.others.length });
    const dst = fx.destinationOf('frank');
    const inbox = fx.graph.read.items(dst, 'Inbox');
    expect(b64(inbox.map((i) => i.mime!))).toEqual(b64(seeded.mails));
    for (const i of inbox) expect(i).toMatchObject({ origin: 'importMime', isDraft: false });
    // Read state and flag, which MIME does not carry, are set on the imported messages.
    expect(inbox.filter((i) => i.isRead)).toHaveLength(MAILS / 2);
    expect(inbox.filter((i) => i.flagged)).toHaveLength(1);
    // One refusal switched the mailbox: at most the imports already in flight (4) were refused.
    expect(fx.graph.ewsExportRefusals).toBeGreaterThanOrEqual(1);
    expect(fx.graph.ewsExportRefusals).toBeLessThanOrEqual(4);

    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(errors.items.map((e) => e.folder).sort()).toEqual(seeded.others.map((o) => o.folder).sort());
    for (const { folder, noun } of seeded.others) {
      const row = errors.items.find((e) => e.folder === folder)!;
      expect(row.reason).toContain(`This ${noun} cannot be copied`);
      expect(row.reason).toMatch(/refused the EWS export stream.*MIME carries mail only/);
      expect(fx.graph.read.items(dst, folder)).toHaveLength(0);
    }
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Completed With Errors');
    expect(item.lastRun?.reason).toMatch(
      /refused the EWS export stream of Exchange on premises \(.*ErrorCorruptData.*\); mail goes as MIME instead/,
    );

    const refusalsBefore = fx.graph.ewsExportRefusals;
    const again = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(again.summary).toMatchObject({ copied: 0, failed: seeded.others.length });
    expect(fx.graph.read.items(dst, 'Inbox')).toHaveLength(MAILS);
    expect(fx.graph.ewsExportRefusals - refusalsBefore).toBeLessThanOrEqual(1);
    expect((await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items).toHaveLength(seeded.others.length);
  }, 120_000);
});
