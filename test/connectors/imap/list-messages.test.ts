import { mkdirSync, writeFileSync, chownSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { ImapSession } from '../../../api/connectors/imap/imap-session.js';
import type { FolderInfo } from '../../../api/core/connector.js';
import { startDovecot, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { userAccess } from '../../support/imap-fixtures.js';

const COUNT = 10_000;
const START = Date.UTC(2022, 0, 1);
const HOUR = 60 * 60 * 1000;

describe('listMessages on a folder of 10,000 messages', () => {
  let server: DovecotServer;
  let session: ImapSession;
  let inbox: FolderInfo;

  beforeAll(async () => {
    server = await startDovecot();
    session = await new ImapConnector().open(userAccess(server, 'alice'));
    await session.folderState('INBOX');
    // Straight into the maildir (one file per message, mtime = internal date): seconds faster
    // than 10,000 APPENDs, and the listing is what this test measures.
    const newDir = join(server.dir, 'mail', 'alice', 'new');
    mkdirSync(newDir, { recursive: true });
    const { uid, gid } = statSync(join(server.dir, 'mail', 'alice'));
    for (let i = 0; i < COUNT; i++) {
      const file = join(newDir, `${START / 1000 + i}.M${i}P1.test`);
      writeFileSync(file, sampleMessage(i, 600));
      utimesSync(file, (START + i * HOUR) / 1000, (START + i * HOUR) / 1000);
      chownSync(file, uid, gid);
    }
    inbox = (await session.listFolders()).find((f) => f.path === 'INBOX')!;
    await session.listMessages(inbox); // Dovecot indexes new maildir files on first SELECT.
  });
  afterAll(async () => {
    await session?.close();
    await server?.stop();
  });

  // Speed is measured by `npm run bench` (delta pass over 10,000 messages), not asserted here:
  // a timed assertion fails on a loaded CI machine without telling us anything new.
  it('lists every message, in UID order', async () => {
    const started = performance.now();
    const refs = await session.listMessages(inbox);
    const elapsedMs = performance.now() - started;
    console.log(`listMessages: ${COUNT} messages in ${elapsedMs.toFixed(0)} ms`);
    expect(refs).toHaveLength(COUNT);
    expect(refs.every((r, i) => i === 0 || r.uid > refs[i - 1]!.uid)).toBe(true);
  });

  it('keeps only messages inside a date window, to the hour', async () => {
    const refs = await session.listMessages(inbox, { since: START + 100 * HOUR, before: START + 150 * HOUR });
    expect(refs).toHaveLength(50);
    expect(refs[0]!.internalDate).toBe(START + 100 * HOUR);
    expect(refs[49]!.internalDate).toBe(START + 149 * HOUR);
  });
});
