import { describe, expect, it } from 'vitest';
import type { FolderInfo, SpecialUse } from '../../api/core/connector.js';
import { planFolders, type FolderPlan } from '../../api/core/folder-plan.js';
import { DEFAULT_SUPPORT_OPTIONS, parseSupportOptions, type SupportOptions } from '../../api/core/support-options.js';

function folder(path: string, separator = '/', extra: { specialUse?: SpecialUse; noSelect?: boolean } = {}): FolderInfo {
  return {
    path,
    segments: path.split(separator),
    separator,
    noSelect: extra.noSelect ?? false,
    ...(extra.specialUse ? { specialUse: extra.specialUse } : {}),
  };
}

function options(...lines: string[]): SupportOptions {
  const { options: parsed, problems } = parseSupportOptions(lines);
  expect(problems).toEqual([]);
  return parsed;
}

/** Dovecot-like destination: '/' separator, flagged special folders. */
const IMAP_DEST = {
  separator: '/',
  folders: [
    folder('INBOX'),
    folder('Sent', '/', { specialUse: 'sent' }),
    folder('Trash', '/', { specialUse: 'trash' }),
    folder('Junk', '/', { specialUse: 'junk' }),
  ],
};

/** Where each source path lands: `source path -> dest segments joined by '/'`. */
function destinations(plan: FolderPlan): Record<string, string> {
  return Object.fromEntries(plan.entries.map((entry) => [entry.source.path, entry.destSegments.join('/')]));
}

describe('planFolders', () => {
  it('plans past a catastrophic FolderFilter and FolderMapping without stalling (linear-time patterns)', () => {
    // 26 a's and one more character take a backtracking engine about a second per folder and pattern.
    const hostile = ['!', '?', '#'].map((end) => folder(`${'a'.repeat(26)}${end}`));
    const started = performance.now();
    const plan = planFolders([folder('INBOX'), ...hostile], IMAP_DEST, options('FolderFilter=^(a+)+$', 'FolderMapping="^(a|aa)+$->x"'));
    expect(performance.now() - started).toBeLessThan(500);
    expect(destinations(plan)).toEqual({ INBOX: 'INBOX', ...Object.fromEntries(hostile.map((f) => [f.path, f.path])) });
  });

  it('maps INBOX in any case to the destination INBOX and puts it first', () => {
    const plan = planFolders([folder('Projects'), folder('inbox/Sub'), folder('inbox')], IMAP_DEST, options());
    expect(plan.entries.map((e) => e.destSegments)).toEqual([['INBOX'], ['INBOX', 'Sub'], ['Projects']]);
    expect(plan.warnings).toEqual([]);
  });

  it('uses the destination\'s own spelling of the inbox (Exchange says "Inbox")', () => {
    const exchange = { separator: '/', folders: [folder('Inbox', '/', { specialUse: 'inbox' })] };
    expect(destinations(planFolders([folder('INBOX'), folder('INBOX/A')], exchange, options()))).toEqual({
      INBOX: 'Inbox',
      'INBOX/A': 'Inbox/A',
    });
  });

  it('sends a special folder to the destination folder of the same use, and its subfolders follow it', () => {
    const source = [
      folder('INBOX'),
      folder('Sent Items', '/', { specialUse: 'sent' }),
      folder('Sent Items/2019'),
      folder('Sent Items/2019/Q1'),
    ];
    expect(destinations(planFolders(source, IMAP_DEST, options()))).toEqual({
      INBOX: 'INBOX',
      'Sent Items': 'Sent',
      'Sent Items/2019': 'Sent/2019',
      'Sent Items/2019/Q1': 'Sent/2019/Q1',
    });
  });

  it('recognises unflagged special folders by their common names', () => {
    const source = [folder('Deleted Items'), folder('Deleted Items/Old'), folder('spam'), folder('Projects/Sent')];
    expect(destinations(planFolders(source, IMAP_DEST, options()))).toEqual({
      'Deleted Items': 'Trash',
      'Deleted Items/Old': 'Trash/Old',
      spam: 'Junk',
      // Only top-level names are guessed: a user folder deeper down keeps its name.
      'Projects/Sent': 'Projects/Sent',
    });
  });

  it('keeps the source name of a special folder the destination lacks', () => {
    const source = [folder('Drafts', '/', { specialUse: 'drafts' }), folder('Drafts/Old')];
    expect(destinations(planFolders(source, IMAP_DEST, options()))).toEqual({ Drafts: 'Drafts', 'Drafts/Old': 'Drafts/Old' });
  });

  it('follows the nearest special ancestor (INBOX/Sent flagged \\Sent goes to Sent)', () => {
    const source = [folder('INBOX'), folder('INBOX.Sent', '.', { specialUse: 'sent' }), folder('INBOX.Sent.2020', '.')];
    expect(destinations(planFolders(source, IMAP_DEST, options()))).toEqual({
      INBOX: 'INBOX',
      'INBOX.Sent': 'Sent',
      'INBOX.Sent.2020': 'Sent/2020',
    });
  });

  it('keeps only Inbox and Calendar with FolderFilter=^(?!Inbox$|Calendar$), saying which filter excluded the rest', () => {
    const source = [folder('Inbox'), folder('Inbox/Sub'), folder('Calendar'), folder('Sent Items', '/', { specialUse: 'sent' })];
    const plan = planFolders(source, IMAP_DEST, options('FolderFilter=^(?!Inbox$|Calendar$)'));
    expect(destinations(plan)).toEqual({ Inbox: 'INBOX', Calendar: 'Calendar' });
    expect(plan.excluded).toEqual([
      { path: 'Inbox/Sub', reason: 'FolderFilter "^(?!Inbox$|Calendar$)" matches "Inbox/Sub".' },
      { path: 'Sent Items', reason: 'FolderFilter "^(?!Inbox$|Calendar$)" matches "Sent Items".' },
    ]);
  });

  it('excludes a folder matched by any of several filters, naming the one that matched', () => {
    const plan = planFolders(
      [folder('INBOX'), folder('Junk'), folder('Old/2010')],
      IMAP_DEST,
      options('FolderFilter=^Junk$', 'FolderFilter=^Old/'),
    );
    expect(plan.entries.map((e) => e.source.path)).toEqual(['INBOX']);
    expect(plan.excluded.map((e) => e.reason)).toEqual([
      'FolderFilter "^Junk$" matches "Junk".',
      'FolderFilter "^Old/" matches "Old/2010".',
    ]);
  });

  it('matches filters against the /-joined path whatever the source separator', () => {
    const plan = planFolders([folder('INBOX.Archive.2019', '.')], IMAP_DEST, options('FolderFilter=^INBOX/Archive/'));
    expect(plan.entries).toEqual([]);
    expect(plan.excluded[0]!.path).toBe('INBOX.Archive.2019');
  });

  it('rewrites the source path with the first FolderMapping that matches, $1 included, over special-use mapping', () => {
    const source = [folder('INBOX/Archive/2019'), folder('Sent Items/2018', '/'), folder('Projects/X')];
    const plan = planFolders(
      source,
      IMAP_DEST,
      options(
        'FolderMapping="^INBOX/Archive->Archive"',
        'FolderMapping="^Sent Items/(\\d+)->Old Sent/$1"',
        'FolderMapping="^INBOX/->Never"',
      ),
    );
    expect(destinations(plan)).toEqual({
      'INBOX/Archive/2019': 'Archive/2019',
      'Sent Items/2018': 'Old Sent/2018',
      'Projects/X': 'Projects/X',
    });
  });

  it('drops empty segments a mapping leaves, and excludes a folder mapped to nothing', () => {
    const plan = planFolders(
      [folder('Old/Mail'), folder('Gone')],
      IMAP_DEST,
      options('FolderMapping="^Old/->Archive//"', 'FolderMapping="^Gone$->"'),
    );
    expect(destinations(plan)).toEqual({ 'Old/Mail': 'Archive/Mail' });
    expect(plan.excluded).toEqual([{ path: 'Gone', reason: 'FolderMapping "^Gone$->" leaves "Gone" with no folder name.' }]);
  });

  it('translates separators from / to . and replaces a . inside a name with ONE DOT LEADER, with a warning', () => {
    const dest = { separator: '.', folders: [folder('INBOX', '.')] };
    const plan = planFolders([folder('Projects/v1.2/Specs')], dest, options());
    expect(plan.entries[0]!.destSegments).toEqual(['Projects', 'v1\u20242', 'Specs']);
    expect(plan.warnings).toEqual([
      'Folder "Projects/v1.2/Specs": "v1.2" contains ".", the destination\'s folder separator, so it is created as "v1\u20242".',
    ]);
  });

  it('translates separators from . to / and replaces a / inside a name with DIVISION SLASH, with a warning', () => {
    const plan = planFolders([folder('INBOX.Q1/Q2 reports.2024', '.')], IMAP_DEST, options());
    expect(plan.entries[0]!.destSegments).toEqual(['INBOX', 'Q1\u2215Q2 reports', '2024']);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain('Folder "INBOX.Q1/Q2 reports.2024"');
  });

  it('keeps a / inside a name when neither side uses / as separator', () => {
    const dest = { separator: '.', folders: [] };
    const plan = planFolders([folder('A/B.C', '.')], dest, options());
    expect(plan.entries[0]!.destSegments).toEqual(['A/B', 'C']);
    expect(plan.warnings).toEqual([]);
  });

  it('keeps " in folder names by default, with the \' name ready in case the destination refuses it', () => {
    const plan = planFolders([folder('Say "hi"/Sub')], IMAP_DEST, options());
    expect(plan.entries[0]!.destSegments).toEqual(['Say "hi"', 'Sub']);
    expect(plan.entries[0]!.quoteFallback).toEqual(["Say 'hi'", 'Sub']);
    expect(plan.warnings).toEqual([]);
  });

  it('replaces " with \' when AllowQuoteInFolder=0, and says so', () => {
    const plan = planFolders([folder('Say "hi"')], IMAP_DEST, options('AllowQuoteInFolder=0'));
    expect(plan.entries[0]!.destSegments).toEqual(["Say 'hi'"]);
    expect(plan.entries[0]!.quoteFallback).toBeUndefined();
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain('AllowQuoteInFolder=0');
  });

  it('keeps " in folder names when AllowQuoteInFolder=1, with no fallback name', () => {
    const plan = planFolders([folder('Say "hi"')], IMAP_DEST, options('AllowQuoteInFolder=1'));
    expect(plan.entries[0]!.destSegments).toEqual(['Say "hi"']);
    expect(plan.entries[0]!.quoteFallback).toBeUndefined();
    expect(plan.warnings).toEqual([]);
  });

  it('allows two source folders to merge into one destination folder but warns', () => {
    const source = [folder('Sent', '/', { specialUse: 'sent' }), folder('Sent Items')];
    const plan = planFolders(source, IMAP_DEST, options());
    expect(plan.entries.map((e) => e.destSegments.join('/'))).toEqual(['Sent', 'Sent']);
    expect(plan.warnings).toEqual([
      'Source folders "Sent", "Sent Items" all go to destination folder "Sent"; their messages are merged there.',
    ]);
  });

  it('creates a \\Noselect container only as a parent of planned folders', () => {
    const source = [
      folder('[Gmail]', '/', { noSelect: true }),
      folder('[Gmail]/Starred', '/', { specialUse: 'flagged' }),
      folder('Empty', '/', { noSelect: true }),
    ];
    const plan = planFolders(source, IMAP_DEST, options());
    expect(plan.entries.map((e) => [e.destSegments.join('/'), e.createOnly])).toEqual([
      ['[Gmail]', true],
      ['[Gmail]/Starred', false],
    ]);
    expect(plan.excluded).toEqual([
      { path: 'Empty', reason: 'It cannot hold messages (\\Noselect) and none of its subfolders is migrated.' },
    ]);
  });

  it('skips a \\Noselect container whose only subfolders are filtered out', () => {
    const source = [folder('INBOX'), folder('Lists', '/', { noSelect: true }), folder('Lists/Dev')];
    const plan = planFolders(source, IMAP_DEST, options('FolderFilter=^Lists/'));
    expect(plan.entries.map((e) => e.source.path)).toEqual(['INBOX']);
    expect(plan.excluded.map((e) => e.path)).toEqual(['Lists/Dev', 'Lists']);
  });

  it('orders entries parents before children with INBOX first, whatever the listing order', () => {
    const source = [
      folder('Zeta/Child'),
      folder('Alpha'),
      folder('Zeta'),
      folder('INBOX/Sub'),
      folder('Alpha/Deep/Er'),
      folder('INBOX'),
      folder('Alpha/Deep'),
    ];
    const order = planFolders(source, IMAP_DEST, options()).entries.map((e) => e.source.path);
    expect(order).toEqual(['INBOX', 'INBOX/Sub', 'Alpha', 'Alpha/Deep', 'Alpha/Deep/Er', 'Zeta', 'Zeta/Child']);
  });

  it('passes non-ASCII names through unchanged, and filters written in the source language match them', () => {
    const source = [folder('Boîte de réception'), folder('日本語/プロジェクト'), folder('Éléments envoyés')];
    const plan = planFolders(source, IMAP_DEST, options('FolderFilter=^éléments ENVOYÉS$'));
    expect(destinations(plan)).toEqual({ 'Boîte de réception': 'Boîte de réception', '日本語/プロジェクト': '日本語/プロジェクト' });
    expect(plan.excluded.map((e) => e.path)).toEqual(['Éléments envoyés']);
  });

  it('maps a localized inbox flagged \\Inbox to the destination INBOX', () => {
    const plan = planFolders(
      [folder('Boîte de réception', '/', { specialUse: 'inbox' }), folder('Boîte de réception/Clients')],
      IMAP_DEST,
      options(),
    );
    expect(destinations(plan)).toEqual({ 'Boîte de réception': 'INBOX', 'Boîte de réception/Clients': 'INBOX/Clients' });
  });

  it('plans with DEFAULT_SUPPORT_OPTIONS as given, copying every folder', () => {
    const plan = planFolders([folder('INBOX'), folder('Notes')], IMAP_DEST, DEFAULT_SUPPORT_OPTIONS);
    expect(plan.entries.map((e) => e.destSegments.join('/'))).toEqual(['INBOX', 'Notes']);
    expect(plan.excluded).toEqual([]);
  });

  it('plans a folder listed twice once', () => {
    expect(planFolders([folder('A'), folder('A')], IMAP_DEST, options()).entries).toHaveLength(1);
  });
});
