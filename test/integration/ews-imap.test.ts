/**
 * IMAP ↔ Exchange through the real engine: a real Dovecot on one side, the schema-checked EWS
 * test server on the other, the real EWS and IMAP connectors.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, type FillMessage } from '../support/dovecot.js';
import { seedItem, seedMessage, type StoredItem } from '../support/ews/items.js';
import { snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createEwsMigrationFixture, folderCounts, itemsAt, markerOf, type EwsMigrationFixture } from '../support/ews-migration-fixture.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function message(n: number, subject: string, headers = 'From: Sender <sender@fabrikam.test>\r\nTo: Alice <alice@src.test>\r\n'): Buffer {
  return Buffer.from(
    `${headers}Subject: ${subject}\r\nMessage-ID: <m${n}.${subject.replace(/\W/g, '')}@fabrikam.test>\r\n` +
      `Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody ${n} of ${subject}\r\n`,
  );
}

/** Source IMAP folder → the destination EWS path (INBOX is Exchange's Inbox; `"` is written as `'`). */
const FOLDERS: Record<string, string> = {
  INBOX: 'Inbox',
  'INBOX/Projects': 'Inbox/Projects',
  'Say "hello"': 'Say "hello"',
  'R&D': 'R&D',
  日本語: '日本語',
};

describe('IMAP (Dovecot) to Exchange', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { dovecot: {} }, destination: { ews: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('writes each message byte for byte with read state, flag, keywords and received date as EWS properties; a second full pass copies nothing', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('imapuser');
    const seeded = new Map<string, FillMessage[]>();
    let n = 0;
    for (const folder of Object.keys(FOLDERS)) {
      const messages: FillMessage[] = Array.from({ length: 4 }, (_, i) => ({
        raw: message(++n, `${folder} ${i}`),
        flags: [['\\Seen'], ['\\Flagged', 'Project-X'], [], ['\\Seen', '\\Flagged']][i]!,
        internalDate: new Date(Date.UTC(2023, i, 10 + i, 8, 30, i)),
      }));
      await fillMailbox(fx.source.dovecot!, sourceUser, folder, messages);
      seeded.set(folder, messages);
    }
    const first = await fx.runPass('full', [itemId]);
    expect(first.summary).toMatchObject({ completed: 1, copied: 20, failed: 0 });

    const dst = fx.destination.ews!;
    for (const [folder, messages] of seeded) {
      const items = itemsAt(dst, destUser, FOLDERS[folder]!);
      expect(items, folder).toHaveLength(messages.length);
      const byHash = new Map(items.map((i) => [sha(i.mime!.bytes), i]));
      for (const m of messages) {
        const copy = byHash.get(sha(m.raw as Buffer));
        expect(copy, `${folder}: ${(m.raw as Buffer).toString().split('\r\n')[2]}`).toBeDefined();
        expect(copy!.isRead).toBe(m.flags!.includes('\\Seen'));
        expect(copy!.flag?.status ?? 'NotFlagged').toBe(m.flags!.includes('\\Flagged') ? 'Flagged' : 'NotFlagged');
        expect(copy!.received).toBe(m.internalDate!.toISOString().replace(/\.\d{3}Z$/, 'Z'));
        const categories = (copy!.fields.get('Categories')?.c ?? []).map((c) => c.t);
        expect(categories).toEqual(m.flags!.filter((f) => !f.startsWith('\\')));
        expect(markerOf(copy!)).toMatch(/^\d+:\d+$/);
        expect(copy!.fields.get('Subject')?.t).toBe((m.raw as Buffer).toString().split('\r\n')[2]!.slice('Subject: '.length));
      }
    }
    const counts = folderCounts(dst, destUser);
    const second = await fx.runPass('full', [itemId]);
    expect(second.summary).toMatchObject({ completed: 1, copied: 0, skipped: 20, failed: 0 });
    expect(folderCounts(dst, destUser)).toEqual(counts);
  });

  it('applies RecipientMapping to From, To and Cc on the way, and the EWS item shows the mapped addresses', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('mapped', { options: ['RecipientMapping="@src.test->@dst.test"'] });
    const raw = message(
      99,
      'Mapped',
      'From: Alice <alice@src.test>\r\nTo: Bob <bob@src.test>, partner@fabrikam.test\r\nCc: "Carol, C." <carol@src.test>\r\n',
    );
    await fillMailbox(fx.source.dovecot!, sourceUser, 'INBOX', [{ raw, flags: ['\\Seen'], internalDate: new Date(Date.UTC(2024, 1, 1)) }]);
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 1, failed: 0 });
    const [copy] = itemsAt(fx.destination.ews!, destUser, 'Inbox');
    const headers = copy!.mime!.bytes.toString('utf8').split('\r\n\r\n')[0]!;
    expect(headers).toContain('From: Alice <alice@dst.test>');
    expect(headers).toMatch(/To: Bob <bob@dst\.test>, partner@fabrikam\.test/);
    expect(headers).toMatch(/Cc: "Carol, C\." <carol@dst\.test>/);
    expect(headers).not.toContain('@src.test');
    const addresses = (field: string) => (copy!.fields.get(field)?.c ?? []).map((m) => m.c?.find((c) => c.n === 'EmailAddress')?.t);
    expect(addresses('From')).toEqual(['alice@dst.test']);
    expect(addresses('ToRecipients')).toEqual(['bob@dst.test', 'partner@fabrikam.test']);
    expect(addresses('CcRecipients')).toEqual(['carol@dst.test']);
    // The body is untouched.
    expect(copy!.mime!.bytes.toString('utf8').split('\r\n\r\n')[1]).toBe(raw.toString('utf8').split('\r\n\r\n')[1]);
  });
});

describe('Exchange to IMAP (Dovecot)', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { dovecot: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('copies mail MIME byte for byte, and every contact and calendar item selected becomes an error row saying IMAP holds only mail', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('ewsuser');
    const store = fx.source.ews!.store;
    const mails: StoredItem[] = [];
    for (let i = 0; i < 6; i++) {
      mails.push(
        seedMessage(store, sourceUser, i < 4 ? 'inbox' : 'sentitems', message(i, `Exported ${i}`), {
          received: Date.UTC(2023, 5, 1 + i, 12),
          isRead: i % 2 === 0,
          flag: i === 1 ? 'Flagged' : 'NotFlagged',
        }),
      );
    }
    const contact = seedItem(
      store,
      sourceUser,
      'contacts',
      '<t:Contact><t:DisplayName>Jane Doe</t:DisplayName><t:GivenName>Jane</t:GivenName></t:Contact>',
    );
    const meeting = seedItem(
      store,
      sourceUser,
      'calendar',
      '<t:CalendarItem><t:Subject>Standup</t:Subject><t:Start>2024-01-08T09:00:00Z</t:Start><t:End>2024-01-08T09:15:00Z</t:End></t:CalendarItem>',
    );

    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'contacts', 'calendar'] });
    expect(pass.summary).toMatchObject({ completedWithErrors: 1, copied: 6, failed: 2 });
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(log.items.map((r) => [r.folder, r.sourceKey, r.code]).sort()).toEqual([
      ['Calendar', meeting.id, 'rejected'],
      ['Contacts', contact.id, 'rejected'],
    ]);
    for (const row of log.items) expect(row.reason).toMatch(/IMAP destination holds only mail; (contacts|calendar) items cannot be copied/);

    const snapshot = await snapshotMailbox(fx.destination.dovecot!, destUser);
    const inDest = (folder: string) => snapshot.get(folder) ?? [];
    const expected = (list: StoredItem[]) =>
      list
        .map((m) => ({
          sha256: sha(m.mime!.bytes),
          size: m.mime!.bytes.length,
          flags: [...(m.isRead ? ['\\Seen'] : []), ...(m.flag?.status === 'Flagged' ? ['\\Flagged'] : [])].sort(),
          internalDate: Date.parse(m.received),
        }))
        .sort((a, b) => a.sha256.localeCompare(b.sha256) || a.internalDate - b.internalDate);
    expect(inDest('INBOX')).toEqual(expected(mails.slice(0, 4)));
    const sentPath = [...snapshot.keys()].find((k) => /^Sent/.test(k))!;
    expect(inDest(sentPath)).toEqual(expected(mails.slice(4)));

    const second = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'contacts', 'calendar'] });
    expect(second.summary).toMatchObject({ copied: 0, failed: 2 });
    expect((await snapshotMailbox(fx.destination.dovecot!, destUser)).get('INBOX')).toHaveLength(4);
  });

  it('turns inbox rules and automatic replies selected for an IMAP destination into error rows, and still copies the mail', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('settingsuser');
    const store = fx.source.ews!.store;
    seedMessage(store, sourceUser, 'inbox', message(42, 'With rules'), { received: Date.UTC(2023, 6, 1) });
    const mbx = store.mailbox(sourceUser)!;
    mbx.rules = [
      {
        id: 'rule-1',
        displayName: 'Flag invoices',
        priority: 1,
        isEnabled: true,
        conditionsXml: '<t:Conditions><t:ContainsSubjectStrings><t:String>Invoice</t:String></t:ContainsSubjectStrings></t:Conditions>',
        actionsXml: '<t:Actions><t:MarkImportance>High</t:MarkImportance></t:Actions>',
      },
    ];
    mbx.oof = { state: 'Enabled', externalAudience: 'All', internalReply: { message: 'Away' }, externalReply: { message: 'Away' } };
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(pass.summary).toMatchObject({ completedWithErrors: 1, copied: 1, failed: 2 });
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(log.items.map((r) => [r.folder, r.subject]).sort()).toEqual(
      [
        ['(mailbox settings)', expect.stringMatching(/automatic replies|OOF/i)],
        ['(mailbox settings)', expect.stringMatching(/Flag invoices/)],
      ].sort(),
    );
    for (const row of log.items) expect(row.reason).toMatch(/The destination \(imap\) has no place for (rules|automatic replies)/);
  });
});
