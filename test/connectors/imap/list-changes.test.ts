/**
 * The delta's folder check against a real Dovecot (CONDSTORE and LIST-STATUS): a folder whose
 * UIDVALIDITY, UIDNEXT, MESSAGES and HIGHESTMODSEQ are those of the cursor is skipped without a
 * listing; a change to any one of them lists it. Both ways of getting the STATUS are covered: from
 * the session's folder listing (LIST-STATUS) and from a STATUS of its own.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FolderChanges, FolderInfo } from '../../../api/core/connector.js';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { ImapSession } from '../../../api/connectors/imap/imap-session.js';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { userAccess } from '../../support/imap-fixtures.js';

const FOLDER = 'Reports';

describe('listChanges on Dovecot', () => {
  let server: DovecotServer;
  const sessions: ImapSession[] = [];

  beforeAll(async () => {
    server = await startDovecot();
    await fillMailbox(
      server,
      'alice',
      FOLDER,
      [1, 2, 3].map((n) => ({ raw: sampleMessage(n), flags: ['\\Seen'] })),
    );
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A fresh session, as each pass opens one; `listed` takes the STATUS from its LIST-STATUS. */
  async function changes(since: FolderChanges | undefined, how: 'listed' | 'status'): Promise<FolderChanges> {
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    sessions.push(session);
    const folders = await session.listFolders();
    const folder = folders.find((f) => f.path === FOLDER)!;
    const asked: FolderInfo = how === 'listed' ? folder : { ...folder };
    if (how === 'status') {
      // Another session's listing carries no status for this one: it asks with STATUS.
      const other = await new ImapConnector().open(userAccess(server, 'alice'));
      sessions.push(other);
      return other.listChanges(asked, since && { identity: since.identity, cursor: since.cursor });
    }
    return session.listChanges(asked, since && { identity: since.identity, cursor: since.cursor });
  }

  async function withClient(work: (client: ImapFlow) => Promise<void>): Promise<void> {
    const client = new ImapFlow({
      host: server.host,
      port: server.port,
      secure: false,
      logger: false,
      disableAutoIdle: true,
      auth: { user: 'alice', pass: server.users['alice']! },
    });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  for (const how of ['listed', 'status'] as const) {
    it(`skips an unchanged folder and lists it again after any change (STATUS ${how === 'listed' ? 'from LIST-STATUS' : 'asked per folder'})`, async () => {
      const first = await changes(undefined, how);
      expect(first.restarted).toBe(true);
      expect(first.refs.length).toBeGreaterThanOrEqual(3);

      const unchanged = await changes(first, how);
      expect(unchanged).toMatchObject({
        refs: [],
        restarted: false,
        unchangedCount: first.refs.length,
        identity: first.identity,
        cursor: first.cursor,
      });

      // HIGHESTMODSEQ alone: a flag change moves neither UIDNEXT nor MESSAGES.
      const uid = first.refs[0]!.uid;
      await withClient(async (client) => {
        await client.mailboxOpen(FOLDER);
        await client.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
      });
      const flagged = await changes(unchanged, how);
      expect(flagged.unchangedCount).toBeUndefined();
      expect(flagged.restarted).toBe(false);
      expect(flagged.refs.map((r) => r.uid)).toEqual([uid]);
      expect(flagged.refs[0]!.flags).toContain('\\Flagged');
      expect(await changes(flagged, how)).toMatchObject({ refs: [], unchangedCount: first.refs.length });

      // UIDNEXT and MESSAGES: a new message is listed, the others are not.
      await fillMailbox(server, 'alice', FOLDER, [{ raw: sampleMessage(100) }]);
      const added = await changes(flagged, how);
      expect(added.unchangedCount).toBeUndefined();
      expect(added.refs).toHaveLength(1);
      expect(added.refs[0]!.uid).toBeGreaterThan(Math.max(...first.refs.map((r) => r.uid)));
      const afterAdd = await changes(added, how);
      expect(afterAdd.unchangedCount).toBe(first.refs.length + 1);

      // MESSAGES: an expunged message makes the folder listed (nothing new to copy in it).
      await withClient(async (client) => {
        await client.mailboxOpen(FOLDER);
        await client.messageDelete(String(added.refs[0]!.uid), { uid: true });
      });
      const expunged = await changes(afterAdd, how);
      expect(expunged.unchangedCount).toBeUndefined();
      expect(expunged.refs).toEqual([]);
      const afterExpunge = await changes(expunged, how);
      expect(afterExpunge.unchangedCount).toBe(first.refs.length);

      // UIDVALIDITY: the folder deleted and made again is another folder; listed in full.
      await withClient(async (client) => {
        await client.mailboxDelete(FOLDER);
      });
      await fillMailbox(
        server,
        'alice',
        FOLDER,
        [1, 2, 3].map((n) => ({ raw: sampleMessage(n), flags: ['\\Seen'] })),
      );
      const recreated = await changes(afterExpunge, how);
      expect(recreated.identity).not.toBe(afterExpunge.identity);
      expect(recreated.restarted).toBe(true);
      expect(recreated.refs).toHaveLength(3);
      expect(recreated.unchangedCount).toBeUndefined();
    });
  }
});
