import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { ImapSession } from '../../../api/connectors/imap/imap-session.js';
import type { FolderInfo, SourceMessage } from '../../../api/core/connector.js';
import { startDovecot, fillMailbox, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { collect, sha256, userAccess } from '../../support/imap-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const BASE = Date.UTC(2023, 2, 10, 9, 30, 15);

/** Bytes a lazy decoder would be tempted to "fix": 8-bit text, a bare LF, trailing spaces, NUL-free binary-ish. */
function trickyMessage(n: number): Buffer {
  return Buffer.concat([
    sampleMessage(n, 0, `Grüße ${n} — 日本語`),
    Buffer.from('Ligne accentuée: é à ü  \r\n=?utf-8?q?not-decoded?=\r\n', 'utf8'),
    Buffer.from([0xe2, 0x82, 0xac, 0x0d, 0x0a]),
  ]);
}

describe('reading from one mailbox and appending to another keeps every byte', () => {
  let server: DovecotServer;
  let source: ImapSession;
  let dest: ImapSession;
  let inbox: FolderInfo;

  beforeAll(async () => {
    server = await startDovecot();
    await fillMailbox(server, 'alice', 'INBOX', [
      { raw: trickyMessage(1), flags: ['\\Seen', '$Forwarded'], internalDate: new Date(BASE) },
      { raw: trickyMessage(2), flags: ['\\Flagged', 'ProjectX'], internalDate: new Date(BASE + 10 * DAY) },
      { raw: trickyMessage(3), flags: [], internalDate: new Date(BASE + 20 * DAY) },
      { raw: sampleMessage(4, 2 * 1024 * 1024), flags: ['\\Answered'], internalDate: new Date(BASE + 30 * DAY) },
    ]);
    const connector = new ImapConnector();
    source = await connector.open(userAccess(server, 'alice'));
    dest = await connector.open(userAccess(server, 'bob'));
    inbox = (await source.listFolders()).find((f) => f.path === 'INBOX')!;
  });
  afterAll(async () => {
    await source?.close();
    await dest?.close();
    await server?.stop();
  });

  it('lists refs keyed by UIDVALIDITY:UID with size, flags and internal date', async () => {
    const refs = await source.listMessages(inbox);
    const { uidValidity } = await source.folderState('INBOX');
    expect(refs.map((r) => r.key)).toEqual([1, 2, 3, 4].map((uid) => `${uidValidity}:${uid}`));
    expect(refs[0]).toMatchObject({ size: trickyMessage(1).length, internalDate: BASE, itemType: 'mail' });
    expect(refs[0]!.flags).toEqual(expect.arrayContaining(['\\Seen', '$Forwarded']));
  });

  it('filters by internal date to the millisecond boundary, not by SEARCH day', async () => {
    const since = await source.listMessages(inbox, { since: BASE + 10 * DAY });
    expect(since.map((r) => r.uid)).toEqual([2, 3, 4]);
    const window = await source.listMessages(inbox, { since: BASE + 1, before: BASE + 20 * DAY });
    expect(window.map((r) => r.uid)).toEqual([2]);
  });

  it('copies messages with identical bytes, flags, keywords and internal dates', async () => {
    const refs = await source.listMessages(inbox);
    const read = await collect(source.readMessages(inbox, refs));
    expect(read.every((r) => !('error' in r))).toBe(true);
    const messages = read as SourceMessage[];
    // The 2 MB message is above the 1 MB streaming threshold: it must come as a stream.
    expect(typeof messages[3]!.content).toBe('function');
    expect(Buffer.isBuffer(messages[0]!.content)).toBe(true);

    const target = await dest.ensureFolder(['Copied']);
    async function* feed(): AsyncGenerator<SourceMessage> {
      yield* messages;
    }
    const results = await collect(dest.appendMessages(target.path, feed()));
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results.map((r) => r.destId)).toEqual([1, 2, 3, 4].map((uid) => `${target.state.uidValidity}:${uid}`));

    const copiedFolder = (await dest.listFolders()).find((f) => f.path === target.path)!;
    const copiedRefs = await dest.listMessages(copiedFolder);
    const copied = (await collect(dest.readMessages(copiedFolder, copiedRefs))) as SourceMessage[];
    const original = (await collect(source.readMessages(inbox, refs))) as SourceMessage[];
    const bytesOf = async (m: SourceMessage): Promise<Buffer> =>
      Buffer.isBuffer(m.content) ? m.content : Buffer.concat(await collect(await m.content()));
    for (let i = 0; i < refs.length; i++) {
      expect(sha256(await bytesOf(copied[i]!))).toBe(sha256(await bytesOf(original[i]!)));
      expect(copiedRefs[i]!.internalDate).toBe(refs[i]!.internalDate);
      // \Recent belongs to the session that first sees a message (RFC 3501 §2.3.2), not to the message.
      const kept = (flags: string[]) => flags.filter((f) => f !== '\\Recent').sort();
      expect(kept(copiedRefs[i]!.flags)).toEqual(kept(refs[i]!.flags));
    }
    expect(copiedRefs[1]!.flags).toContain('ProjectX');
  });

  it('reports a message deleted since listing as an error result, not a thrown error', async () => {
    const refs = await source.listMessages(inbox);
    const ghost = { ...refs[0]!, uid: 999, key: 'x:999' };
    const read = await collect(source.readMessages(inbox, [refs[0]!, ghost, refs[1]!]));
    expect('content' in read[0]!).toBe(true);
    expect(read[1]).toMatchObject({ ref: { uid: 999 }, error: expect.objectContaining({ code: 'not-found' }) });
    expect('content' in read[2]!).toBe(true);
  });

  it('reports a folder that does not exist as not-found', async () => {
    await expect(dest.folderState('No such folder')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('lists what the destination holds from a UID on, for crash recovery', async () => {
    const range = await dest.listRange('Copied', 3);
    expect(range.map((e) => e.uid)).toEqual([3, 4]);
    expect(range[0]).toMatchObject({ size: trickyMessage(3).length, internalDate: BASE + 20 * DAY });
    expect(await dest.listRange('Copied', 50)).toEqual([]);
  });
});
