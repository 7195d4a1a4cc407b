import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapMessageHeaders } from '../../api/core/recipient-mapping.js';
import { parseSupportOptions } from '../../api/core/support-options.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

const DAY_MS = 86_400_000;
const now = Date.now();
const daysAgo = (days: number) => new Date(Math.floor((now - days * DAY_MS) / 1000) * 1000);

/** Source folders (separator '/') and what the destination (separator '.') should call them. */
const FOLDERS: Record<string, string> = {
  INBOX: 'INBOX',
  'INBOX/Projects': 'INBOX.Projects',
  Sent: 'Sent',
  'Say "hello"': 'Say "hello"',
  'R&D': 'R&D',
  日本語: '日本語',
  'Boîte de réception': 'Boîte de réception',
  'Archive/2019/v1.2': 'Archive.2019.v1․2',
};

function messagesFor(folder: string, count: number, ageDays: (i: number) => number): FillMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    raw: sampleMessage(i, 2_000 + i * 37, `${folder} #${i}`),
    flags: i % 3 === 0 ? ['\\Seen'] : i % 3 === 1 ? ['\\Flagged', '$Important'] : [],
    internalDate: daysAgo(ageDays(i)),
  }));
}

describe('IMAP to IMAP passes against real Dovecot servers', () => {
  let fx: MigrationFixture;

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['verify', 'full', 'prestage', 'trial', 'dupes', 'options', 'lanes', 'mapping'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  async function seed(user: string, perFolder = 12): Promise<void> {
    for (const folder of Object.keys(FOLDERS)) {
      // Half the messages are 200 days old, half 10 days old: a 90-day pre-stage takes the first half.
      await fillMailbox(
        fx.source,
        user,
        folder,
        messagesFor(folder, perFolder, (i) => (i % 2 === 0 ? 200 : 10)),
      );
    }
  }

  it('verifies credentials without copying anything, and names the side whose login failed', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('verify');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      messagesFor('INBOX', 2, () => 1),
    );
    const pass = await fx.runPass('verify', [itemId]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 0 });
    expect(countsOf(await snapshotMailbox(fx.destination, 'verify@dst.test')).INBOX ?? 0).toBe(0);

    const bad = await fx.runtime.services.items.addItem(LOCAL_TENANT, fx.projectId, {
      sourceAddress: 'nobody@src.test',
      destinationAddress: 'verify@dst.test',
      sourceLogin: 'nobody@src.test',
      sourcePassword: 'wrong',
      endUserCredentials: false,
      options: [],
    });
    const failed = await fx.runPass('verify', [bad.id]);
    expect(failed.summary?.failedItems).toBe(1);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, bad.id);
    expect(item.status).toBe('Failed');
    expect(item.lastRun?.reason).toMatch(/^Source \(nobody@src\.test\)/);
  });

  it('copies every folder with exact bytes, flags and internal dates, then a second full pass copies nothing', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('full');
    await seed(sourceUser);
    const first = await fx.runPass('full', [itemId]);
    const total = Object.keys(FOLDERS).length * 12;
    expect(first.summary).toMatchObject({ completed: 1, copied: total, failed: 0 });

    const source = await snapshotMailbox(fx.source, sourceUser);
    const dest = await snapshotMailbox(fx.destination, destUser);
    for (const [sourcePath, destPath] of Object.entries(FOLDERS)) {
      expect(dest.get(destPath), `destination folder ${destPath}`).toEqual(source.get(sourcePath));
    }

    const second = await fx.runPass('full', [itemId]);
    expect(second.summary).toMatchObject({ copied: 0, skipped: total, failed: 0 });
    expect(countsOf(await snapshotMailbox(fx.destination, destUser))).toEqual(countsOf(dest));
  });

  it('pre-stages items older than the cutoff, and the full pass after it copies each message exactly once', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('prestage');
    await seed(sourceUser, 10);
    const prestage = await fx.runPass('prestage', [itemId], { cutoff: '90 days ago' });
    expect(prestage.summary?.copied).toBe(Object.keys(FOLDERS).length * 5);
    const afterPrestage = await snapshotMailbox(fx.destination, destUser);
    for (const messages of afterPrestage.values()) {
      for (const m of messages) expect(m.internalDate).toBeLessThan(now - 90 * DAY_MS);
    }

    const full = await fx.runPass('full', [itemId]);
    expect(full.summary?.copied).toBe(Object.keys(FOLDERS).length * 5);
    const source = await snapshotMailbox(fx.source, sourceUser);
    const dest = await snapshotMailbox(fx.destination, destUser);
    for (const [sourcePath, destPath] of Object.entries(FOLDERS)) expect(dest.get(destPath)).toEqual(source.get(sourcePath));
  });

  it('copies at most ten items per folder in a trial pass', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('trial');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      messagesFor('INBOX', 25, () => 5),
    );
    await fillMailbox(
      fx.source,
      sourceUser,
      'Small',
      messagesFor('Small', 3, () => 5),
    );
    const pass = await fx.runPass('trial', [itemId]);
    expect(pass.summary?.copied).toBe(13);
    expect(countsOf(await snapshotMailbox(fx.destination, destUser))).toMatchObject({ INBOX: 10, Small: 3 });
  });

  it('copies messages without a Message-ID and exact duplicates inside a folder, each once per source copy', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('dupes');
    const noId = Buffer.from('From: a@example.com\r\nSubject: no id\r\n\r\nbody without message-id\r\n');
    const twin = sampleMessage(7, 3_000, 'twin');
    const date = daysAgo(3);
    await fillMailbox(fx.source, sourceUser, 'INBOX', [
      { raw: noId, internalDate: date },
      { raw: noId, internalDate: date },
      { raw: twin, internalDate: date },
      { raw: twin, internalDate: date },
    ]);
    await fx.runPass('full', [itemId]);
    await fx.runPass('full', [itemId]);
    expect(await snapshotMailbox(fx.destination, destUser).then((s) => s.get('INBOX'))).toEqual(
      await snapshotMailbox(fx.source, sourceUser).then((s) => s.get('INBOX')),
    );
  });

  it('honours FolderFilter and FolderMapping from the item options', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('options');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      messagesFor('INBOX', 2, () => 5),
    );
    await fillMailbox(
      fx.source,
      sourceUser,
      'Old/Stuff',
      messagesFor('Old', 3, () => 5),
    );
    await fillMailbox(
      fx.source,
      sourceUser,
      'Junk',
      messagesFor('Junk', 4, () => 5),
    );
    await fx.runtime.services.items.updateItem(LOCAL_TENANT, itemId, {
      options: ['FolderFilter=^Junk$', 'FolderMapping="^Old/(.*)->Legacy/$1"'],
    });
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary?.copied).toBe(5);
    const counts = countsOf(await snapshotMailbox(fx.destination, destUser));
    expect(counts['Legacy.Stuff']).toBe(3);
    expect(counts.Junk ?? 0).toBe(0);
  });

  it('rewrites address headers with RecipientMapping and keeps every other byte, flag and date', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('mapping');
    const messages = messagesFor('INBOX', 3, () => 5);
    await fillMailbox(fx.source, sourceUser, 'INBOX', messages);
    await fx.runtime.services.items.updateItem(LOCAL_TENANT, itemId, {
      options: ['RecipientMapping="@example.com->@contoso.test"', 'RecipientMapping="alice@example.com->alice.smith@contoso.test"'],
    });
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ copied: 3, failed: 0 });
    const rules = parseSupportOptions([
      'RecipientMapping="@example.com->@contoso.test"',
      'RecipientMapping="alice@example.com->alice.smith@contoso.test"',
    ]).options.recipientMappings;
    const expected = messages
      .map((m) =>
        createHash('sha256')
          .update(mapMessageHeaders(Buffer.from(m.raw), rules)!)
          .digest('hex'),
      )
      .sort();
    const inbox = (await snapshotMailbox(fx.destination, destUser)).get('INBOX')!;
    expect(inbox.map((m) => m.sha256).sort()).toEqual(expected);
    expect(mapMessageHeaders(Buffer.from(messages[0]!.raw), rules)!.toString()).toContain(
      'From: Sender <sender@contoso.test>\r\nTo: Alice <alice.smith@contoso.test>',
    );
    const source = (await snapshotMailbox(fx.source, sourceUser)).get('INBOX')!;
    expect(inbox.map((m) => [m.flags, m.internalDate]).sort()).toEqual(source.map((m) => [m.flags, m.internalDate]).sort());
  });

  it('copies several folders at once with ConnectionsPerMailbox=3 and a pipeline depth of 1, with the same result', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('lanes');
    await seed(sourceUser, 6);
    await fx.runtime.services.items.updateItem(LOCAL_TENANT, itemId, { options: ['ConnectionsPerMailbox=3', 'PipelineDepth=1'] });
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: Object.keys(FOLDERS).length * 6, failed: 0 });
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.progress?.folders?.map((f) => f.copied)).toEqual(expect.arrayContaining([6, 6, 6]));
    const source = await snapshotMailbox(fx.source, sourceUser);
    const dest = await snapshotMailbox(fx.destination, destUser);
    for (const [sourcePath, destPath] of Object.entries(FOLDERS)) expect(dest.get(destPath)).toEqual(source.get(sourcePath));
  });
});
