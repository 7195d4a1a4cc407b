/**
 * Folder names and hierarchy, IMAP → IMAP against real Dovecots (source separator '/', LAYOUT=fs;
 * destination '.', Maildir++): names are kept exactly where the destination takes them, `"` is
 * replaced only when the destination refuses the name or AllowQuoteInFolder=0 asks for it, and
 * a \Noselect parent stays a parent instead of becoming an extra empty folder.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailConnector } from '../../api/core/connector.js';
import { ItemRejectedError } from '../../api/core/errors.js';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import { RENAMED_ROW_CODE } from '../../api/core/engine/ensure-destination.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type DovecotServer } from '../support/dovecot.js';
import { countsOf, expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';
import { overrideSessions } from '../support/session-overrides.js';

/** Source path ('/') → destination path ('.'): the same names, `"`, `\`, `&` and non-ASCII included. */
const NAMES: Record<string, string> = {
  'Say "hi"': 'Say "hi"',
  'Back\\slash': 'Back\\slash',
  'R&D': 'R&D',
  'A&B "quoted" & more': 'A&B "quoted" & more',
  日本語: '日本語',
  'Déjà vu/Été "24"': 'Déjà vu.Été "24"',
};

const messages = (folder: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ raw: sampleMessage(i, 1_500, `${folder} #${i}`), flags: i % 2 ? ['\\Seen'] : [] }));

/** Every folder the destination lists, with its attributes (lower-cased). */
async function listWithFlags(server: DovecotServer, user: string): Promise<Map<string, Set<string>>> {
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
    return new Map((await client.list()).map((f) => [f.path, new Set([...f.flags].map((flag) => flag.toLowerCase()))]));
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** The real IMAP connector in front of a destination that refuses `"` in folder names, as some servers do. */
function refusingQuotes(inner: MailConnector): MailConnector {
  return overrideSessions(inner, (session) => ({
    ensureFolder: (segments, itemType) =>
      segments.some((s) => s.includes('"'))
        ? Promise.reject(new ItemRejectedError(`Mailbox name "${segments.join('.')}" is not valid: invalid character.`))
        : session.ensureFolder(segments, itemType),
  }));
}

describe('Folder names and parents at the destination (real Dovecot)', () => {
  let fx: MigrationFixture;

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['names', 'forced', 'refused', 'parents'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('keeps ", \\, & and non-ASCII names exactly, and a second pass copies nothing', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('names');
    for (const folder of Object.keys(NAMES)) await fillMailbox(fx.source, sourceUser, folder, messages(folder, 3));
    const first = await fx.runPass('full', [itemId]);
    expect(first.summary).toMatchObject({ completed: 1, copied: 3 * Object.keys(NAMES).length, failed: 0 });
    await expectIdentical(fx, sourceUser, destUser, NAMES);
    expect(await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId).then((log) => log.items)).toEqual([]);
    const second = await fx.runPass('full', [itemId]);
    expect(second.summary).toMatchObject({ copied: 0, failed: 0 });
  });

  it('replaces " with \' when AllowQuoteInFolder=0', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('forced');
    await fillMailbox(fx.source, sourceUser, 'Say "hi"', messages('quoted', 2));
    await fx.runtime.services.items.updateItem(LOCAL_TENANT, itemId, { options: ['AllowQuoteInFolder=0'] });
    await fx.runPass('full', [itemId]);
    await expectIdentical(fx, sourceUser, destUser, { 'Say "hi"': "Say 'hi'" });
    expect([...(await listWithFlags(fx.destination, destUser)).keys()]).not.toContain('Say "hi"');
  });

  it("creates a folder whose name the destination refuses under the ' name, with a warning row and no failure", async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('refused');
    await fillMailbox(fx.source, sourceUser, 'Say "hi"/Inner', messages('inner', 2));
    await fillMailbox(fx.source, sourceUser, 'Plain', messages('plain', 1));
    await fx.reopen({ imap: refusingQuotes(new ImapConnector()) });
    try {
      const pass = await fx.runPass('full', [itemId]);
      expect(pass.summary).toMatchObject({ completed: 1, copied: 3, failed: 0 });
      await expectIdentical(fx, sourceUser, destUser, { 'Say "hi"/Inner': "Say 'hi'.Inner", Plain: 'Plain' });
      const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
      expect(log.items.map((row) => [row.folder, row.code])).toEqual([['Say "hi"/Inner', RENAMED_ROW_CODE]]);
      expect(log.items[0]!.reason).toContain(`created as "Say 'hi'.Inner"`);
      expect(log.items[0]!.reason).toContain('invalid character');
      expect((await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId)).status).toBe('Completed');
    } finally {
      await fx.reopen();
    }
  });

  it('keeps a \\Noselect source parent a parent at the destination, not an extra empty folder', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('parents');
    // LAYOUT=fs: creating `Projects/Alpha` makes `Projects` a \Noselect directory.
    await fillMailbox(fx.source, sourceUser, 'Projects/Alpha', messages('alpha', 2));
    await fillMailbox(fx.source, sourceUser, 'Projects/Beta', messages('beta', 1));
    await fillMailbox(fx.source, sourceUser, 'Clients/2024/Q1', messages('q1', 1));
    const sourceFolders = await listWithFlags(fx.source, sourceUser);
    expect(sourceFolders.get('Projects')).toContain('\\noselect');
    expect(sourceFolders.get('Clients/2024')).toContain('\\noselect');

    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ copied: 4, failed: 0 });
    const dest = await listWithFlags(fx.destination, destUser);
    for (const parent of ['Projects', 'Clients', 'Clients.2024']) {
      expect(dest.get(parent), `destination ${parent}`).toContain('\\noselect');
    }
    expect(countsOf(await snapshotMailbox(fx.destination, destUser))).toEqual({
      INBOX: 0,
      'Projects.Alpha': 2,
      'Projects.Beta': 1,
      'Clients.2024.Q1': 1,
    });
    const second = await fx.runPass('full', [itemId]);
    expect(second.summary).toMatchObject({ copied: 0, failed: 0 });
  });
});
