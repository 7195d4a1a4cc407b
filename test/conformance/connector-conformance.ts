/**
 * The MailboxSession contract, run against every connector the way the Store, JobQueue and
 * SecretVault suites run against every adapter: listing, reading, writing, folder creation, the
 * crash-recovery contract (listRange / markRecovered) and per-item errors as values. Each case
 * writes into folders of its own, so a connector's suite can share one mailbox.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppendResult, FolderInfo, MailboxSession, MessageRef, SourceMessage } from '../../api/core/connector.js';

export interface ConnectorUnderTest {
  /** A session on a mailbox the suite may write to. */
  open(): Promise<MailboxSession>;
  /** Read returns exactly the bytes written (IMAP, EWS MIME); false where the server rebuilds MIME. */
  bytesExact: boolean;
  /** Path segments the suite's folders go under (EWS and Graph: [], IMAP: [] or a namespace). */
  parent: string[];
  /** Stores a message in `path` behind the session's back, unmarked (as a crashed write leaves it); for markRecovered. */
  seedUnmarked?(path: string, bytes: Buffer, internalDate: number): Promise<void>;
  /**
   * Cases this connector is known to fail, by their first words (`'filters a listing'`), with the
   * finding: they run as `it.fails`, so they show, and turn red once fixed.
   */
  knownFailures?: Record<string, string>;
}

export type ConformanceCase =
  | 'creates a folder'
  | 'writes messages'
  | 'filters a listing'
  | 'lists what it wrote'
  | 'marks recovered items'
  | 'returns a message that is gone';

/** Whole seconds: every server keeps internal dates at least that precisely. */
const BASE_DATE_MS = Date.UTC(2024, 2, 1, 10, 0, 0);
const DAY_MS = 86_400_000;

/** Distinct sizes and dates, so a size-and-date pairing is unambiguous. */
export function conformanceMessage(n: number, tag: string): SourceMessage {
  const bytes = Buffer.from(
    `From: Ann <ann@fabrikam.test>\r\nTo: bob@contoso.test\r\nSubject: ${tag} ${n}\r\nDate: Fri, 1 Mar 2024 10:00:00 +0000\r\n` +
      `Message-ID: <${tag}-${n}@fabrikam.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody ${'x'.repeat(n * 13)}\r\n`,
  );
  const ref: MessageRef = {
    key: `src:${tag}:${n}`,
    uid: n,
    size: bytes.length,
    internalDate: BASE_DATE_MS + n * DAY_MS,
    flags: n % 2 ? ['\\Seen'] : [],
    itemType: 'mail',
  };
  return { ref, format: 'rfc822', content: bytes };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export function connectorConformance(name: string, connector: () => ConnectorUnderTest): void {
  describe(`${name}: MailboxSession conformance`, () => {
    const folderName = (what: string) => [...connector().parent, `Conformance ${what} ${randomUUID().slice(0, 8)}`];
    const withSession = async (test: (session: MailboxSession) => Promise<void>) => {
      const session = await connector().open();
      try {
        await test(session);
      } finally {
        await session.close();
      }
    };
    const known = connector().knownFailures ?? {};
    /** `it`, or `it.fails` for a case this connector is known to fail (the finding is in the title). */
    const test = (title: string, body: () => Promise<void>) => {
      const finding = Object.entries(known).find(([start]) => title.startsWith(start))?.[1];
      if (finding) it.fails(`${title} — known finding: ${finding}`, body);
      else it(title, body);
    };
    const folderAt = async (session: MailboxSession, path: string): Promise<FolderInfo> => {
      const folder = (await session.listFolders()).find((f) => f.path === path);
      expect(folder, `listFolders shows "${path}"`).toBeDefined();
      return folder!;
    };

    test('creates a folder and its parent, lists them, and creating it again changes nothing', async () => {
      await withSession(async (session) => {
        const parent = folderName('tree');
        const first = await session.ensureFolder([...parent, 'Child']);
        const again = await session.ensureFolder([...parent, 'Child']);
        expect(again.path).toBe(first.path);
        expect(again.state.uidValidity).toBe(first.state.uidValidity);
        const paths = (await session.listFolders()).map((f) => f.path);
        expect(paths).toContain(first.path);
        const child = await folderAt(session, first.path);
        expect(child.segments.slice(-2)).toEqual([parent.at(-1), 'Child']);
        expect(paths).toContain(child.segments.slice(0, -1).join(child.separator));
      });
    });

    test('writes messages with one result per message, in order, and lists and reads them back', async () => {
      await withSession(async (session) => {
        const { path } = await session.ensureFolder(folderName('write'));
        const sent = [1, 2, 3].map((n) => conformanceMessage(n, 'write'));
        const results = await collect(session.appendMessages(path, from(sent)));
        // In input order, unless the destination commits each write as it finishes (the contract allows it).
        const keys = results.map((r) => r.ref.key);
        expect(session.commitEachWrite ? [...keys].sort() : keys).toEqual(sent.map((m) => m.ref.key));
        expect(results.filter((r) => r.error)).toEqual([]);
        const folder = await folderAt(session, path);
        const refs = await session.listMessages(folder);
        expect(refs).toHaveLength(sent.length);
        const read = await collect(session.readMessages(folder, refs, { formats: ['rfc822'] }));
        expect(read.filter((r) => 'error' in r)).toEqual([]);
        const texts = await Promise.all(read.map(async (r) => contentOf(r as SourceMessage)));
        for (const message of sent) {
          const original = message.content as Buffer;
          if (connector().bytesExact) expect(texts.some((t) => t.equals(original))).toBe(true);
          else expect(texts.some((t) => t.toString('utf8').includes(`Subject: write ${message.ref.uid}`))).toBe(true);
        }
        expect(refs.map((r) => r.internalDate).sort()).toEqual(sent.map((m) => m.ref.internalDate).sort());
      });
    });

    test('filters a listing by internal date (since inclusive, before exclusive)', async () => {
      await withSession(async (session) => {
        const { path } = await session.ensureFolder(folderName('dates'));
        const sent = [1, 2, 3, 4].map((n) => conformanceMessage(n, 'dates'));
        await collect(session.appendMessages(path, from(sent)));
        const folder = await folderAt(session, path);
        const listed = await session.listMessages(folder, { since: sent[1]!.ref.internalDate, before: sent[3]!.ref.internalDate });
        expect(listed.map((r) => r.internalDate).sort()).toEqual([sent[1]!.ref.internalDate, sent[2]!.ref.internalDate]);
      });
    });

    test('lists what it wrote since a folder state in listRange, each write findable by its destination id', async () => {
      await withSession(async (session) => {
        const { path, state } = await session.ensureFolder(folderName('range'));
        const sent = [1, 2].map((n) => conformanceMessage(n, 'range'));
        const results = await collect(session.appendMessages(path, from(sent)));
        const range = await session.listRange(path, state.uidNext);
        expect(range.length).toBeGreaterThanOrEqual(sent.length);
        const destIdOf = (entry: (typeof range)[number]) => entry.destId ?? `${state.uidValidity}:${entry.uid}`;
        for (const result of results as AppendResult[]) {
          if (!result.destId) continue; // a destination may confirm without an id; recovery then pairs it
          const entry = range.find((e) => destIdOf(e) === result.destId);
          expect(entry, `listRange shows the write of ${result.ref.key}`).toBeDefined();
          expect(entry!.size).toBeGreaterThan(0);
          if (entry!.sourceKey !== undefined) expect(entry!.sourceKey).toBe(session.markOf?.(result.ref.key) ?? result.ref.key);
        }
      });
    });

    test('marks recovered items so that the next listRange pairs them by their source key', async () => {
      const under = connector();
      await withSession(async (session) => {
        if (!session.markRecovered || !under.seedUnmarked)
          return expect(session.markRecovered === undefined || under.seedUnmarked === undefined).toBe(true);
        const { path, state } = await session.ensureFolder(folderName('recover'));
        const lost = conformanceMessage(5, 'recover');
        await under.seedUnmarked(path, lost.content as Buffer, lost.ref.internalDate);
        const [unmarked] = await session.listRange(path, state.uidNext);
        expect(unmarked!.sourceKey).toBeUndefined();
        const destId = unmarked!.destId ?? `${state.uidValidity}:${unmarked!.uid}`;
        await session.markRecovered(path, [{ destId, sourceKey: lost.ref.key }]);
        const [marked] = await session.listRange(path, state.uidNext);
        expect(marked!.sourceKey).toBe(session.markOf?.(lost.ref.key) ?? lost.ref.key);
      });
    });

    test('returns a message that is gone as an error value beside the others, without throwing', async () => {
      await withSession(async (session) => {
        const { path } = await session.ensureFolder(folderName('gone'));
        await collect(session.appendMessages(path, from([conformanceMessage(1, 'gone')])));
        const folder = await folderAt(session, path);
        const [present] = await session.listMessages(folder);
        const missing: MessageRef = { ...present!, key: `${present!.key}-missing`, uid: present!.uid + 1_000_000 };
        const read = await collect(session.readMessages(folder, [missing, present!], { formats: ['rfc822'] }));
        expect(read).toHaveLength(2);
        const errors = read.filter((r): r is { ref: MessageRef; error: Error } => 'error' in r);
        expect(errors.map((r) => r.ref.key)).toEqual([missing.key]);
        expect(errors[0]!.error.message).not.toBe('');
      });
    });
  });
}

async function contentOf(message: SourceMessage): Promise<Buffer> {
  if (Buffer.isBuffer(message.content)) return message.content;
  const chunks: Buffer[] = [];
  for await (const chunk of await message.content()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
