import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { ImapSession } from '../../../api/connectors/imap/imap-session.js';
import { startDovecot, fillMailbox, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { userAccess } from '../../support/imap-fixtures.js';

const ODD_NAMES = ['Say "hi"', 'R&D', '日本語', 'Boîte de réception', 'back\\slash'];

for (const separator of ['/', '.'] as const) {
  describe(`listFolders and ensureFolder with separator "${separator}"`, () => {
    let server: DovecotServer;
    let session: ImapSession;

    beforeAll(async () => {
      server = await startDovecot({ separator });
      for (const name of [...ODD_NAMES, 'Sent', 'Trash', 'Deleted Items', 'Junk E-mail', `Projects${separator}2024`]) {
        await fillMailbox(server, 'alice', name, []);
      }
      await fillMailbox(server, 'alice', 'Projects', [{ raw: sampleMessage(1) }]);
      await fillMailbox(server, 'alice', `Only${separator}Child`, []);
      session = await new ImapConnector().open(userAccess(server, 'alice'));
    });
    afterAll(async () => {
      await session?.close();
      await server?.stop();
    });

    it('decodes names with quotes, ampersands, backslashes and non-ASCII letters', async () => {
      const paths = (await session.listFolders()).map((f) => f.path);
      for (const name of ODD_NAMES) expect(paths).toContain(name);
    });

    it('splits nested folders into segments on the server separator', async () => {
      const nested = (await session.listFolders()).find((f) => f.path === `Projects${separator}2024`);
      expect(nested).toMatchObject({ segments: ['Projects', '2024'], separator, noSelect: false });
    });

    it('marks a parent that exists only as a container as noSelect', async () => {
      const parent = (await session.listFolders()).find((f) => f.path === 'Only');
      // Some layouts do not list an implicit parent at all; when listed, it must not be selectable.
      if (parent) expect(parent.noSelect).toBe(true);
      const child = (await session.listFolders()).find((f) => f.path === `Only${separator}Child`);
      expect(child?.segments).toEqual(['Only', 'Child']);
    });

    it('takes special use from SPECIAL-USE flags and from well-known names', async () => {
      const byPath = new Map((await session.listFolders()).map((f) => [f.path, f.specialUse]));
      expect(byPath.get('INBOX')).toBe('inbox');
      expect(byPath.get('Sent')).toBe('sent');
      expect(byPath.get('Trash')).toBe('trash');
      expect(byPath.get('Deleted Items')).toBe('trash');
      expect(byPath.get('Junk E-mail')).toBe('junk');
      expect(byPath.get('日本語')).toBeUndefined();
    });

    it('creates missing parents first and returns the new folder state', async () => {
      const made = await session.ensureFolder(['Archive 2020', 'Q1', '日本語 & "more"']);
      expect(made.path).toBe(['Archive 2020', 'Q1', '日本語 & "more"'].join(separator));
      expect(made.state.uidValidity).toBeGreaterThan(0);
      expect(made.state.uidNext).toBe(1);
      const paths = (await session.listFolders()).map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['Archive 2020', `Archive 2020${separator}Q1`, made.path]));
    });

    it('returns the state of a folder that already exists without touching it', async () => {
      const before = await session.folderState('Projects');
      const again = await session.ensureFolder(['Projects']);
      expect(again.state).toEqual(before);
      expect(again.state.uidNext).toBe(2);
    });

    it('refuses a segment that contains the separator', async () => {
      await expect(session.ensureFolder([`a${separator}b`])).rejects.toMatchObject({ code: 'validation' });
    });
  });
}
