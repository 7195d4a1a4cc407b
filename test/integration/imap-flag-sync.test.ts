/**
 * Flag and keyword changes made at the source after the copy reach the destination with the next
 * full pass, against real Dovecots: through CHANGEDSINCE when the source offers CONDSTORE, and
 * through a comparison with the destination's flags when it does not (a source Dovecot whose
 * capability list leaves CONDSTORE out). Removals count as much as additions.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type DovecotServer } from '../support/dovecot.js';
import { expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

/** Dovecot 2.3's own capability list without CONDSTORE and QRESYNC (which implies it). */
const WITHOUT_CONDSTORE =
  'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT NAMESPACE UIDPLUS CHILDREN LIST-EXTENDED SPECIAL-USE LITERAL+ MOVE UNSELECT';

async function asMaster<T>(server: DovecotServer, user: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    logger: false,
    disableAutoIdle: true,
    auth: { user: server.masterUser, pass: server.masterPassword, authzid: user },
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Changes flags of messages 1-4 of a folder at the source, by sequence number. */
async function changeFlagsAtSource(fx: MigrationFixture, user: string, folder: string): Promise<void> {
  await asMaster(fx.source, user, async (client) => {
    await client.mailboxOpen(folder);
    await client.messageFlagsAdd('1', ['\\Seen', '\\Answered']);
    await client.messageFlagsAdd('2', ['\\Flagged', '$Junk', 'ProjectX']);
    await client.messageFlagsRemove('3', ['\\Seen']); // marked unread again
    await client.messageFlagsRemove('4', ['$Important', '\\Flagged']);
  });
}

function flagSyncCases(name: string, sourceConfig: string | undefined, expectCondstore: boolean): void {
  describe(name, () => {
    let fx: MigrationFixture;
    beforeAll(async () => {
      fx = await createMigrationFixture({ mailboxes: ['flags'], source: sourceConfig ? { extraConfig: sourceConfig } : undefined });
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('carries flag and keyword changes, added and removed, with the next full pass and counts them', async () => {
      const condstore = await asMaster(fx.source, 'flags@src.test', async (client) => client.enabled.has('CONDSTORE'));
      expect(condstore).toBe(expectCondstore);
      const { itemId, sourceUser, destUser } = await fx.addMailbox('flags');
      const messages = Array.from({ length: 6 }, (_, i) => ({
        raw: sampleMessage(i, 1_200, `flags #${i}`),
        flags: i === 2 ? ['\\Seen'] : i === 3 ? ['\\Flagged', '$Important'] : [],
      }));
      await fillMailbox(fx.source, sourceUser, 'INBOX', messages);
      await fillMailbox(fx.source, sourceUser, 'Work', messages.slice(0, 4));
      const first = await fx.runPass('full', [itemId]);
      expect(first.summary).toMatchObject({ copied: 10, failed: 0 });

      await changeFlagsAtSource(fx, sourceUser, 'INBOX');
      await changeFlagsAtSource(fx, sourceUser, 'Work');
      const before = await snapshotMailbox(fx.destination, destUser);
      expect(before.get('INBOX')).not.toEqual((await snapshotMailbox(fx.source, sourceUser)).get('INBOX'));

      const delta = await fx.runPass('full', [itemId]);
      expect(delta.summary).toMatchObject({ copied: 0, failed: 0, flagsUpdated: 8 });
      await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX', Work: 'Work' });
      const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
      expect(item.lastRun?.flagsUpdated).toBe(8);
      expect(item.statistics.flagsUpdated).toBe(8);

      // Each folder's state is kept for the next delta: with CONDSTORE it includes HIGHESTMODSEQ.
      const cursor = await fx.runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', 'Work');
      expect(JSON.parse(cursor!.cursor)).toMatchObject({
        uidNext: 5,
        messages: 4,
        ...(expectCondstore ? { modseq: expect.any(String) } : {}),
      });

      // Nothing changed since: nothing is written, and a new message still arrives with its flags.
      const quiet = await fx.runPass('full', [itemId]);
      expect(quiet.summary).toMatchObject({ copied: 0, skipped: 10, failed: 0 });
      expect(quiet.summary?.flagsUpdated ?? 0).toBe(0);
      await fillMailbox(fx.source, sourceUser, 'Work', [{ raw: sampleMessage(99, 900, 'late'), flags: ['\\Seen', 'Late'] }]);
      await changeFlagsAtSource(fx, sourceUser, 'Work'); // the same changes again: nothing to carry
      const late = await fx.runPass('full', [itemId]);
      expect(late.summary).toMatchObject({ copied: 1, skipped: 10, failed: 0 });
      expect(late.summary?.flagsUpdated ?? 0).toBe(0);
      await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX', Work: 'Work' });
    });
  });
}

flagSyncCases('Flag sync with CONDSTORE at the source (CHANGEDSINCE)', undefined, true);
flagSyncCases('Flag sync without CONDSTORE at the source (flags compared)', WITHOUT_CONDSTORE, false);
