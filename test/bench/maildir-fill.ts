/**
 * Fills a test Dovecot's mailbox by writing maildir files, for benches whose source is only
 * setup (the fleet bench: 40,000 APPENDs took 330 s of its five minutes under load). The layout is
 * what test/support/dovecot.ts configures for the '/' separator (`maildir:…/%u:LAYOUT=fs`): INBOX
 * is the user's root maildir, each folder a directory under it. A message is a file in `cur/`
 * named `<unique>:2,<flags>` (Dovecot's maildir flags D F R S; keywords as letters a–z listed in
 * `dovecot-keywords`), its internal date the file's mtime. Dovecot indexes them on first access.
 */
import { chownSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DovecotServer } from '../support/dovecot.js';
import type { Corpus } from './corpus.js';

/** RFC 3501 system flags as maildir info letters (Dovecot's maildir-storage, in ASCII order). */
const FLAG_LETTERS: Record<string, string> = { '\\Draft': 'D', '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S', '\\Deleted': 'T' };
const KEYWORD_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function fillMaildir(server: DovecotServer, user: string, corpus: Corpus): { messages: number; bytes: number } {
  if (server.separator !== '/') throw new Error('fillMaildir writes the LAYOUT=fs layout of a Dovecot with separator "/".');
  const mailRoot = join(server.dir, 'mail');
  const { uid, gid } = statSync(mailRoot);
  const owned = (path: string) => chownSync(path, uid, gid);
  const root = join(mailRoot, user);
  let messages = 0;
  let bytes = 0;
  for (const [folder, items] of corpus.byFolder) {
    const dir = folder.toUpperCase() === 'INBOX' ? root : join(root, ...folder.split('/'));
    for (const sub of ['', 'cur', 'new', 'tmp']) {
      mkdirSync(join(dir, sub), { recursive: true });
    }
    // Own every level made (the user's root and each folder's parents too).
    for (let path = dir; path.startsWith(root); path = join(path, '..')) owned(path);
    for (const sub of ['cur', 'new', 'tmp']) owned(join(dir, sub));
    const keywords: string[] = [];
    for (const m of items) {
      const letters = m.flags.map((flag) => {
        if (FLAG_LETTERS[flag]) return FLAG_LETTERS[flag]!;
        let index = keywords.indexOf(flag);
        if (index < 0) index = keywords.push(flag) - 1;
        return KEYWORD_LETTERS[index] ?? '';
      });
      const file = join(
        dir,
        'cur',
        `${Math.floor(m.internalDate / 1000)}.M${m.index}P${process.pid}.fleet:2,${[...new Set(letters)].sort().join('')}`,
      );
      writeFileSync(file, m.raw);
      const when = new Date(m.internalDate);
      utimesSync(file, when, when);
      owned(file);
      messages++;
      bytes += m.raw.length;
    }
    if (keywords.length) {
      const list = join(dir, 'dovecot-keywords');
      writeFileSync(list, keywords.map((k, i) => `${i} ${k}\n`).join(''));
      owned(list);
    }
  }
  return { messages, bytes };
}
