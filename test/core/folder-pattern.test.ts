/**
 * FolderFilter and FolderMapping patterns run in linear time (RE2), keep the documented leading
 * negative lookahead working, and refuse what RE2 cannot run when the option is saved
 * (issue 10, finding 11).
 */
import { describe, expect, it } from 'vitest';
import { compileFolderPattern, type FolderPattern } from '../../api/core/folder-pattern.js';
import { parseSupportOptions } from '../../api/core/support-options.js';

function pattern(source: string): FolderPattern {
  const compiled = compileFolderPattern('FolderFilter', source);
  if (typeof compiled === 'string') throw new Error(compiled);
  return compiled;
}

/** What a backtracking engine answers for the same pattern, for patterns it runs quickly. */
function jsSearch(source: string, path: string): boolean {
  return path.search(new RegExp(source, 'i')) >= 0;
}

const PATHS = [
  'Inbox',
  'INBOX',
  'Inbox/Sub',
  'Sent',
  'Sent Items',
  'Calendar',
  'calendar/2019',
  'Drafts',
  'Legal Hold',
  'Archive/Inbox',
  '',
];

describe('folder patterns', () => {
  it.each([
    '^(?!Inbox$)',
    '^(?!Inbox|Sent)',
    '^(?!Inbox$|Calendar$)',
    '^(?!Inbox$)(?!Drafts$)',
    '^(?!Inbox)Sent',
    '^(?!(Inbox|Sent)$).*s$',
    '^(?![)]x)Inbox',
    '^Legal Hold',
    'Items$',
    '^Calendar(/.*)?$',
  ])('%s matches the same folders as JavaScript', (source) => {
    const compiled = pattern(source);
    for (const path of PATHS) expect([path, compiled.test(path)]).toEqual([path, jsSearch(source, path)]);
  });

  it('keeps only the Inbox with the documented FolderFilter=^(?!Inbox$)', () => {
    const { options, problems } = parseSupportOptions(['FolderFilter=^(?!Inbox$)']);
    expect(problems).toEqual([]);
    const excluded = PATHS.filter((path) => options.folderFilters.some((filter) => filter.test(path)));
    expect(PATHS.filter((path) => !excluded.includes(path))).toEqual(['Inbox', 'INBOX']);
  });

  it("maps with groups numbered as written, a lookahead's groups included", () => {
    const mapping = pattern('^(?!(Inbox)$)Old/(.*)');
    expect(mapping.groupCount).toBe(2);
    expect(mapping.replaceFirst('old/2019/x', 'Legacy/$2')).toBe('Legacy/2019/x');
    expect(mapping.replaceFirst('Inbox', 'Legacy/$2')).toBe('Inbox');
    const plain = pattern('^Projects/(\\d{4})');
    expect(plain.replaceFirst('projects/2019/x', 'Old/$1 ($&) $$')).toBe(
      'projects/2019/x'.replace(/^Projects\/(\d{4})/i, 'Old/$1 ($&) $$'),
    );
  });

  it("runs ^(a+)+$ against 50,000 a's and a ! in linear time", () => {
    const evil = pattern('^(a+)+$');
    const path = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(evil.test(path)).toBe(false);
    expect(evil.replaceFirst(path, 'x')).toBe(path);
    // A backtracking engine needs about 2^n steps here (already minutes at n = 30).
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses at save time what RE2 cannot run, naming the option and saying why', () => {
    const { problems } = parseSupportOptions([
      'FolderFilter=Inbox(?!/Sub)',
      'FolderMapping="^(a)\\1->x"',
      'FolderFilter=(?<=Old/)2019',
      'FolderFilter=^(?!Inbox$)Sent|Drafts',
      'FolderFilter=^(?!Inbox',
    ]);
    expect(problems.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
    expect(problems[0]!.message).toMatch(
      /^FolderFilter "Inbox\(\?!\/Sub\)" is not a regular expression Mailferry can use: .*negative lookahead right after the leading \^/,
    );
    expect(problems[1]!.message).toMatch(/^FolderMapping .*invalid escape sequence.*no backreferences/);
    expect(problems[2]!.message).toMatch(/no lookaround/);
    expect(problems[3]!.message).toMatch(/put the alternatives in a group, e\.g\. \^\(\?!Inbox\$\)\(\?:Sent\|Drafts\)/);
    expect(problems[4]!.message).toMatch(/never closed/);
  });
});
