/**
 * Pipelined reads and MULTIAPPEND against real Dovecots, watched through a proxy that records the
 * command lines: several UID FETCH batches go out before the first answer, MULTIAPPEND is used
 * only where the server advertises it, and either way every message arrives with the same bytes,
 * flags, keywords and internal date.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendResult, MessageRef, SourceMessage } from '../../../api/core/connector.js';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import { ItemTooLargeError } from '../../../api/core/errors.js';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { asSource, collect, sha256, userAccess } from '../../support/imap-fixtures.js';
import { startRecordingProxy, type RecordingProxy } from '../../support/imap-recording-proxy.js';

const MESSAGES = 60;
const MAX_MAIL_BYTES = 48 * 1024;
/** Dovecot 2.3's capabilities after login, without MULTIAPPEND. */
const WITHOUT_MULTIAPPEND =
  'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT NAMESPACE UIDPLUS CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE LITERAL+ CONDSTORE MOVE UNSELECT';

const flagsOf = (i: number): string[] =>
  [['\\Seen'], ['\\Seen', '\\Flagged'], ['$Junk', 'Custom_1'], [], ['\\Answered', '\\Draft']][i % 5]!;
const dateOf = (i: number): number => Date.UTC(2022, 2, 3, 4, 5, 6) + i * 61_000;

interface Stored {
  sha: string;
  flags: string[];
  internalDate: number;
  size: number;
}

async function readBack(server: DovecotServer, user: string, folder: string): Promise<Stored[]> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    logger: false,
    disableAutoIdle: true,
    auth: { user, pass: server.users[user]! },
  });
  await client.connect();
  try {
    await client.mailboxOpen(folder, { readOnly: true });
    const out: Stored[] = [];
    for await (const m of client.fetch('1:*', { uid: true, source: true, flags: true, internalDate: true, size: true }, { uid: true })) {
      out.push({
        sha: sha256(m.source!),
        flags: [...m.flags!].filter((f) => f !== '\\Recent').sort(),
        internalDate: new Date(m.internalDate!).getTime(),
        size: m.size!,
      });
    }
    return out;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const raws = Array.from({ length: MESSAGES }, (_, i) => sampleMessage(i, (i % 7) * 2048));

describe('pipelined UID FETCH on the source connection', () => {
  let server: DovecotServer;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    server = await startDovecot();
    await fillMailbox(
      server,
      'alice',
      'Batches',
      raws.map((raw, i) => ({ raw, flags: flagsOf(i), internalDate: new Date(dateOf(i)) })),
    );
    proxy = await startRecordingProxy(server);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('keeps several batches in flight and hands back every message with its bytes, flags and internal date, in the order asked', async () => {
    const source = await new ImapConnector({ read: { batchMaxCount: 8 } }).open(userAccess(server, 'alice', { port: proxy.port }));
    try {
      const folder = (await source.listFolders()).find((f) => f.path === 'Batches')!;
      const refs = await source.listMessages(folder);
      // Asked out of UID order: results still come in the order asked.
      const asked = [...refs].reverse();
      const read = await collect(source.readMessages(folder, asked));
      expect(read.map((r) => r.ref.uid)).toEqual(asked.map((r) => r.uid));
      const byUid = new Map(refs.map((r, i) => [r.uid, i]));
      for (const result of read) {
        if (!('content' in result) || !Buffer.isBuffer(result.content)) throw new Error(`UID ${result.ref.uid} was not read whole`);
        const i = byUid.get(result.ref.uid)!;
        expect(sha256(result.content)).toBe(sha256(raws[i]!));
        expect(result.ref.flags.filter((f) => f !== '\\Recent').sort()).toEqual([...flagsOf(i)].sort());
        expect(result.ref.internalDate).toBe(dateOf(i));
      }
    } finally {
      await source.close();
    }
    // The connection had more than one UID FETCH out before the first one was answered.
    const isBodyFetch = (line: string) => / UID FETCH \S+ \(UID BODY\.PEEK\[\]\)$/.test(line);
    const fetchTags = new Set(proxy.lines.filter((l) => l.from === 'client' && isBodyFetch(l.line)).map((l) => l.line.split(' ')[0]));
    expect(fetchTags.size).toBeGreaterThanOrEqual(Math.ceil(MESSAGES / 8));
    const firstAnswer = proxy.lines.findIndex((l) => l.from === 'server' && fetchTags.has(l.line.split(' ')[0]!));
    const sentBefore = proxy.lines.slice(0, firstAnswer).filter((l) => l.from === 'client' && isBodyFetch(l.line)).length;
    expect(sentBefore).toBeGreaterThan(1);
  });
});

for (const advertised of [true, false]) {
  describe(`APPEND ${advertised ? 'with' : 'without'} MULTIAPPEND advertised`, () => {
    let server: DovecotServer;
    let proxy: RecordingProxy;

    beforeAll(async () => {
      server = await startDovecot({ maxMailSizeBytes: MAX_MAIL_BYTES, ...(advertised ? {} : { extraConfig: WITHOUT_MULTIAPPEND }) });
      proxy = await startRecordingProxy(server);
    });
    afterAll(async () => {
      await proxy?.close();
      await server?.stop();
    });

    it(`${advertised ? 'sends runs of small messages as one APPEND' : 'sends one APPEND per message'}, stores every byte, flag and date, and names the one message the server refuses`, async () => {
      // One message over the server's size limit in the middle of the run.
      const tooBig = 25;
      const input = raws.map((raw, i) => (i === tooBig ? sampleMessage(i, MAX_MAIL_BYTES + 4096) : raw));
      const meta = (i: number): Partial<MessageRef> => ({ flags: flagsOf(i), internalDate: dateOf(i) });
      const dest = await new ImapConnector().open(userAccess(server, 'bob', { port: proxy.port }));
      let results: AppendResult[];
      try {
        const { path, state } = await dest.ensureFolder(['Copied']);
        results = await collect(dest.appendMessages(path, asSource(input, meta) as AsyncIterable<SourceMessage>));
        expect(results.map((r) => r.ref.uid)).toEqual(input.map((_, i) => i + 1));
        expect(results[tooBig]!.error).toBeInstanceOf(ItemTooLargeError);
        const stored = results.filter((r) => !r.error);
        expect(stored).toHaveLength(MESSAGES - 1);
        for (const r of stored) expect(r.destId).toMatch(new RegExp(`^${state.uidValidity}:\\d+$`));
        expect(new Set(stored.map((r) => r.destId)).size).toBe(MESSAGES - 1);
      } finally {
        await dest.close();
      }

      const back = await readBack(server, 'bob', 'Copied');
      const expected = input.flatMap((raw, i) =>
        i === tooBig ? [] : [{ sha: sha256(raw), flags: [...flagsOf(i)].sort(), internalDate: dateOf(i), size: raw.length }],
      );
      expect([...back].sort((a, b) => a.internalDate - b.internalDate)).toEqual(expected);

      const appends = proxy.lines.filter((l) => l.from === 'client' && / APPEND /.test(l.line));
      // With MULTIAPPEND a run of up to 32 goes as one command (the run holding the refused message goes again one by one).
      if (advertised) expect(appends.length).toBeLessThan(MESSAGES);
      else expect(appends).toHaveLength(MESSAGES);
    });
  });
}
